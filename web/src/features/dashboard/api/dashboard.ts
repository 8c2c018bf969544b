import { useQuery } from "@tanstack/react-query";

import { api, unwrap } from "@/api/client";

export function useDashboard(administrationId: string) {
  return useQuery({
    queryKey: ["dashboard", administrationId],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/administrations/{administration_id}/dashboard", {
          params: { path: { administration_id: administrationId } },
        }),
      ),
  });
}

export function useDashboardSeries(administrationId: string) {
  return useQuery({
    queryKey: ["dashboard", administrationId, "series"],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/administrations/{administration_id}/dashboard/series", {
          params: { path: { administration_id: administrationId } },
        }),
      ),
  });
}
