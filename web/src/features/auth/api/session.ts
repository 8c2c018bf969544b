import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useSyncExternalStore } from "react";

import { api, isSignedIn, onSessionChange, setTokens, unwrap, type Schemas } from "@/api/client";

export type { Role } from "@/lib/access";
export type Me = Schemas["MeOut"];

/** Whether a session is open; follows sign-in, sign-out and a refused refresh. */
export function useSignedIn(): boolean {
  return useSyncExternalStore(onSessionChange, isSignedIn);
}

export function useMe() {
  return useQuery({
    queryKey: ["me"],
    queryFn: async () => unwrap(await api.GET("/api/v1/me")),
    staleTime: 30_000,
  });
}

export function useSignIn() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (login: Schemas["LoginIn"]) =>
      unwrap(await api.POST("/api/v1/auth/login", { body: login })),
    onSuccess: (answer) => {
      queries.clear();
      setTokens({ access_token: answer.access_token, refresh_token: answer.refresh_token });
    },
  });
}

export function signOut(): void {
  setTokens(null);
}
