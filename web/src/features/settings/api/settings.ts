import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "@/api/client";

/** A dunning flow as dunning keeps it: its steps in order, with their offsets and channels. */
export type Flow = {
  id: string;
  name: string;
  steps: {
    id: string;
    offset_days: number;
    offset_from: string;
    target_phase: string;
    channels: string[];
    template_key: string;
    minimum_open_amount?: string | null;
    legally_required?: boolean;
  }[];
  bundling?: Record<string, unknown>;
  calendar?: Record<string, unknown>;
};

export type Pause = "active" | "reminders_paused" | "fully_paused";

export function useFlows(administrationId: string) {
  return useQuery({
    queryKey: ["flows", administrationId],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/administrations/{administration_id}/flows", {
          params: { path: { administration_id: administrationId } },
        }),
      ) as unknown as Flow[],
  });
}

export function useAdministrationSettings(administrationId: string) {
  return useQuery({
    queryKey: ["settings", administrationId],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/administrations/{administration_id}/settings", {
          params: { path: { administration_id: administrationId } },
        }),
      ) as { pause?: Pause; paused_on?: string | null; last_run_date?: string | null },
  });
}

export function useAdministrationPause(administrationId: string) {
  const queries = useQueryClient();
  const path = { administration_id: administrationId };
  return useMutation({
    mutationFn: async (mode: Pause) =>
      mode === "active"
        ? unwrap(await api.POST("/api/v1/administrations/{administration_id}/resume", { params: { path } }))
        : unwrap(
            await api.POST("/api/v1/administrations/{administration_id}/pause", { params: { path }, body: { mode } }),
          ),
    onSettled: () => {
      void queries.invalidateQueries({ queryKey: ["settings", administrationId] });
      void queries.invalidateQueries({ queryKey: ["dashboard", administrationId] });
    },
  });
}
