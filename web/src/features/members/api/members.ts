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
  const queries = useQueryClient();
  return useMutation({
    onSettled: () => void queries.invalidateQueries({ queryKey: ["api-tokens", administrationId] }),
    mutationFn: async (token: Schemas["ApiTokenIn"]) =>
      unwrap(
        await api.POST("/api/v1/administrations/{administration_id}/api-tokens", {
          params: { path: { administration_id: administrationId } },
          body: token,
        }),
      ),
  });
}

export function useInvite(administrationId: string) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (invite: Schemas["InviteIn"]) =>
      unwrap(
        await api.POST("/api/v1/administrations/{administration_id}/users", {
          params: { path: { administration_id: administrationId } },
          body: invite,
        }),
      ),
    onSettled: () => void queries.invalidateQueries({ queryKey: ["members", administrationId] }),
  });
}

export type MemberCommand = "activate" | "deactivate" | "invitation";

/** Deactivate or activate a person, or give an invited person a new invitation. */
export function useMemberCommand(administrationId: string) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async ({ userId, command }: { userId: string; command: MemberCommand }) => {
      const params = { params: { path: { administration_id: administrationId, user_id: userId } } };
      const base = "/api/v1/administrations/{administration_id}/users/{user_id}" as const;
      if (command === "activate") return unwrap(await api.POST(`${base}/activate`, params));
      if (command === "deactivate") return unwrap(await api.POST(`${base}/deactivate`, params));
      return unwrap(await api.POST(`${base}/invitation`, params)) as Schemas["InvitationOut"];
    },
    onSettled: () => void queries.invalidateQueries({ queryKey: ["members", administrationId] }),
  });
}

export function useApiTokens(administrationId: string) {
  return useQuery({
    queryKey: ["api-tokens", administrationId],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/administrations/{administration_id}/api-tokens", {
          params: { path: { administration_id: administrationId } },
        }),
      ),
  });
}

export function useRevokeToken(administrationId: string) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (tokenId: string) =>
      unwrap(
        await api.DELETE("/api/v1/administrations/{administration_id}/api-tokens/{token_id}", {
          params: { path: { administration_id: administrationId, token_id: tokenId } },
        }),
      ),
    onSettled: () => void queries.invalidateQueries({ queryKey: ["api-tokens", administrationId] }),
  });
}

/** The link an invited person opens to choose a password (the token in the fragment, which
 * browsers never send to a server). */
export function invitationLink(token: string): string {
  return `${window.location.origin}/invitation#token=${encodeURIComponent(token)}`;
}
