import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "@/api/client";

/** A run's detail as the importer gives it: counts, notices and each rejected record. */
export type RunDetail = {
  id: string;
  status: string;
  source: string;
  source_name?: string | null;
  counts: Record<string, number>;
  error?: string | null;
  notices?: string[];
  rejected?: { position: string; reason: string; reference?: string | null }[];
};

export function useImportRuns(administrationId: string) {
  return useInfiniteQuery({
    queryKey: ["imports", administrationId],
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await api.GET("/api/v1/administrations/{administration_id}/imports", {
          params: { path: { administration_id: administrationId }, query: { cursor: pageParam ?? undefined, limit: 20 } },
        }),
      ),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
}

export function useImportRun(administrationId: string, runId: string | null) {
  return useQuery({
    queryKey: ["import", administrationId, runId],
    enabled: runId !== null,
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/administrations/{administration_id}/imports/{run_id}", {
          params: { path: { administration_id: administrationId, run_id: runId ?? "" } },
        }),
      ) as RunDetail,
    // A queued or running import is asked again until it finishes.
    refetchInterval: (query) => {
      const status = (query.state.data as RunDetail | undefined)?.status;
      return status === "succeeded" || status === "failed" ? false : 1000;
    },
  });
}

export function useUpload(administrationId: string) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (file: File) =>
      unwrap(
        await api.POST("/api/v1/administrations/{administration_id}/imports", {
          params: { path: { administration_id: administrationId } },
          body: { file: file as unknown as string },
          bodySerializer: (body) => {
            const form = new FormData();
            form.append("file", body.file as unknown as File);
            return form;
          },
        }),
      ) as { run_id: string; status: string },
    onSuccess: () => {
      void queries.invalidateQueries({ queryKey: ["imports", administrationId] });
    },
  });
}
