import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap, type Schemas } from "@/api/client";

export type Member = Schemas["MemberOut"];
export type Role = Schemas["MemberIn"]["role"];
export const ROLES: Role[] = ["administrator", "standard", "communication", "restricted"];

export function useMembers(administrationId: string) {
  return useQuery({
    queryKey: ["members", administrationId],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/administrations/{administration_id}/users", {
          params: { path: { administration_id: administrationId } },
        }),
      ),
  });
}

export function useSetRole(administrationId: string) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async ({ userId, role }: { userId: string; role: Role }) =>
      unwrap(
        await api.PUT("/api/v1/administrations/{administration_id}/users/{user_id}", {
          params: { path: { administration_id: administrationId, user_id: userId } },
          body: { role },
        }),
      ),
    onSettled: () => void queries.invalidateQueries({ queryKey: ["members", administrationId] }),
  });
}

export function useRemoveMember(administrationId: string) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (userId: string) =>
      unwrap(
        await api.DELETE("/api/v1/administrations/{administration_id}/users/{user_id}", {
          params: { path: { administration_id: administrationId, user_id: userId } },
        }),
      ),
    onSettled: () => void queries.invalidateQueries({ queryKey: ["members", administrationId] }),
  });
}

export function useNewApiToken(administrationId: string) {
  return useMutation({
    mutationFn: async (token: Schemas["ApiTokenIn"]) =>
      unwrap(
        await api.POST("/api/v1/administrations/{administration_id}/api-tokens", {
          params: { path: { administration_id: administrationId } },
          body: token,
        }),
      ),
  });
}
