import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap, type Schemas } from "@/api/client";

/** A dunning flow as dunning keeps it: its steps in order, its selection, sending days and
 * bundling, and what is wrong with it now. */
export type Flow = Schemas["FlowOut"];
export type FlowIn = Schemas["FlowIn"];
export type Profile = Schemas["ProfileIn"];

export type Pause = "active" | "reminders_paused" | "fully_paused";

export function useFlows(administrationId: string) {
  return useQuery({
    queryKey: ["flows", administrationId],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/administrations/{administration_id}/flows", {
          params: { path: { administration_id: administrationId } },
        }),
      ) as Flow[],
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

export function useSaveFlow(administrationId: string) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async ({ flow, isNew }: { flow: FlowIn; isNew: boolean }) =>
      isNew
        ? (unwrap(
            await api.POST("/api/v1/administrations/{administration_id}/flows", {
              params: { path: { administration_id: administrationId } },
              body: flow,
            }),
          ) as Flow)
        : unwrap(
            await api.PUT("/api/v1/administrations/{administration_id}/flows/{flow_id}", {
              params: { path: { administration_id: administrationId, flow_id: flow.id } },
              body: flow,
            }),
          ),
    onSuccess: () => {
      void queries.invalidateQueries({ queryKey: ["flows", administrationId] });
    },
  });
}

export function useRemoveFlow(administrationId: string) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (flowId: string) =>
      unwrap(
        await api.DELETE("/api/v1/administrations/{administration_id}/flows/{flow_id}", {
          params: { path: { administration_id: administrationId, flow_id: flowId } },
        }),
      ),
    onSuccess: () => {
      void queries.invalidateQueries({ queryKey: ["flows", administrationId] });
    },
  });
}

export function useProfile(administrationId: string) {
  return useQuery({
    queryKey: ["profile", administrationId],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/administrations/{administration_id}/profile", {
          params: { path: { administration_id: administrationId } },
        }),
      ),
  });
}

export function useSaveProfile(administrationId: string) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (profile: Profile) =>
      unwrap(
        await api.PUT("/api/v1/administrations/{administration_id}/profile", {
          params: { path: { administration_id: administrationId } },
          body: profile,
        }),
      ),
    onSuccess: (saved) => {
      queries.setQueryData(["profile", administrationId], saved);
    },
  });
}

export function useTemplates(administrationId: string) {
  return useQuery({
    queryKey: ["templates", administrationId],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/administrations/{administration_id}/templates", {
          params: { path: { administration_id: administrationId } },
        }),
      ),
  });
}

type TemplatePath = { administration_id: string; template_key: string; language: string };

export function useTemplate(administrationId: string, key: string, language: string) {
  return useQuery({
    queryKey: ["template", administrationId, key, language],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/administrations/{administration_id}/templates/{template_key}/{language}", {
          params: { path: { administration_id: administrationId, template_key: key, language } },
        }),
      ),
  });
}

/** The template with sample data in every language it exists in, as a debtor would get it. */
export function useTemplatePreviews(administrationId: string, key: string, channel: "email" | "letter") {
  return useQuery({
    queryKey: ["template-previews", administrationId, key, channel],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/administrations/{administration_id}/templates/{template_key}/previews", {
          params: { path: { administration_id: administrationId, template_key: key }, query: { channel } },
        }),
      ),
  });
}

export function useSaveTemplate(administrationId: string) {
  const queries = useQueryClient();
  const changed = () => {
    void queries.invalidateQueries({ queryKey: ["templates", administrationId] });
    void queries.invalidateQueries({ queryKey: ["template", administrationId] });
    void queries.invalidateQueries({ queryKey: ["template-previews", administrationId] });
  };
  return {
    save: useMutation({
      mutationFn: async ({ path, body }: { path: TemplatePath; body: Schemas["TemplateIn"] }) =>
        unwrap(
          await api.PUT("/api/v1/administrations/{administration_id}/templates/{template_key}/{language}", {
            params: { path },
            body,
          }),
        ),
      onSuccess: changed,
    }),
    reset: useMutation({
      mutationFn: async (path: TemplatePath) =>
        unwrap(
          await api.DELETE("/api/v1/administrations/{administration_id}/templates/{template_key}/{language}", {
            params: { path },
          }),
        ),
      onSuccess: changed,
    }),
  };
}
