import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap, type Schemas } from "@/api/client";

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

export type Connection = Schemas["ConnectionOut"];
export type ConnectionIn = Schemas["ConnectionIn"];
export type Mapping = Record<string, unknown>;
export type MappingPreview = Schemas["MappingPreviewOut"];

// A preview reads the head of a CSV export (the importer is told it is cut); a workbook cannot
// be cut and goes whole.
const PREVIEW_HEAD_BYTES = 256 * 1024;

export function useConnections(administrationId: string) {
  return useQuery({
    queryKey: ["connections", administrationId],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/administrations/{administration_id}/connections", {
          params: { path: { administration_id: administrationId } },
        }),
      ),
  });
}

export function useMappingPresets(administrationId: string) {
  return useQuery({
    queryKey: ["mapping-presets", administrationId],
    staleTime: Infinity,
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/administrations/{administration_id}/mapping-presets", {
          params: { path: { administration_id: administrationId } },
        }),
      ),
  });
}

export function useSaveConnection(administrationId: string) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, body }: { id: string; body: ConnectionIn }) =>
      unwrap(
        await api.PUT("/api/v1/administrations/{administration_id}/connections/{connection_id}", {
          params: { path: { administration_id: administrationId, connection_id: id } },
          body,
        }),
      ),
    onSuccess: () => {
      void queries.invalidateQueries({ queryKey: ["connections", administrationId] });
    },
  });
}

export function useImportNow(administrationId: string) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (connectionId: string) =>
      unwrap(
        await api.POST("/api/v1/administrations/{administration_id}/connections/{connection_id}/imports", {
          params: { path: { administration_id: administrationId, connection_id: connectionId } },
        }),
      ) as { run_id: string; status: string },
    onSuccess: () => {
      void queries.invalidateQueries({ queryKey: ["imports", administrationId] });
    },
  });
}

/** How the importer would read the file with this mapping: asked again whenever the file or
 * the mapping changes, nothing imported. */
export function useMappingPreview(administrationId: string, file: File | null, mapping: Mapping | null) {
  return useQuery({
    queryKey: ["mapping-preview", administrationId, file?.name, file?.size, file?.lastModified, mapping],
    enabled: file !== null,
    staleTime: Infinity,
    retry: false,
    // The columns stay pickable while the next preview comes.
    placeholderData: (previous) => previous,
    queryFn: async () => {
      const whole = file as File;
      const cut = !/\.xlsx$/i.test(whole.name) && whole.size > PREVIEW_HEAD_BYTES;
      const form = new FormData();
      form.append("file", cut ? whole.slice(0, PREVIEW_HEAD_BYTES) : whole, whole.name);
      form.append("partial", String(cut));
      form.append("rows", "10");
      if (mapping) form.append("mapping", JSON.stringify(mapping));
      return unwrap(
        await api.POST("/api/v1/administrations/{administration_id}/mapping-preview", {
          params: { path: { administration_id: administrationId } },
          body: form as never,
          bodySerializer: (body) => body as unknown as FormData,
        }),
      );
    },
  });
}
