import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap, type Schemas } from "@/api/client";

export type DebtorDetail = Schemas["DebtorDetail"];

export function useDebtors(administrationId: string, q: string, attention: string) {
  return useInfiniteQuery({
    queryKey: ["debtors", administrationId, q, attention],
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await api.GET("/api/v1/administrations/{administration_id}/debtors", {
          params: {
            path: { administration_id: administrationId },
            query: {
              q: q || undefined,
              attention: attention || undefined,
              cursor: pageParam ?? undefined,
              limit: 50,
            },
          },
        }),
      ),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
}

export function useDebtor(administrationId: string, debtorId: string) {
  return useQuery({
    queryKey: ["debtor", administrationId, debtorId],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/administrations/{administration_id}/debtors/{debtor_id}", {
          params: { path: { administration_id: administrationId, debtor_id: debtorId } },
        }),
      ),
  });
}

export type DebtorPause = "reminders_paused" | "fully_paused" | "active";

/** Pause a debtor (reminders only, or everything) or let it go on. */
export function useDebtorPause(administrationId: string, debtorId: string) {
  const queries = useQueryClient();
  const path = { administration_id: administrationId, debtor_id: debtorId };
  return useMutation({
    mutationFn: async (mode: DebtorPause) => {
      if (mode === "active")
        return unwrap(
          await api.POST("/api/v1/administrations/{administration_id}/debtors/{debtor_id}/resume", {
            params: { path },
          }),
        );
      return unwrap(
        await api.POST("/api/v1/administrations/{administration_id}/debtors/{debtor_id}/pause", {
          params: { path },
          body: { mode },
        }),
      );
    },
    onSettled: () => {
      void queries.invalidateQueries({ queryKey: ["debtor", administrationId, debtorId] });
      void queries.invalidateQueries({ queryKey: ["invoices", administrationId] });
    },
  });
}
