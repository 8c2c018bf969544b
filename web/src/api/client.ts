// The gateway's API, typed from its OpenAPI document (schema.d.ts is generated at build time
// from docs/openapi/gateway.json, so a renamed field fails the build, not the user).
import createClient, { type Middleware } from "openapi-fetch";

import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

const SESSION_KEY = "settle.session";

type Tokens = { access_token: string; refresh_token: string };

// Tokens live in sessionStorage: a reload keeps the user signed in, closing the tab does not.
let tokens: Tokens | null = readTokens();
const listeners = new Set<() => void>();

function readTokens(): Tokens | null {
  try {
    const raw = sessionStorage.getItem(SESSION_KEY);
    return raw ? (JSON.parse(raw) as Tokens) : null;
  } catch {
    return null;
  }
}

export function isSignedIn(): boolean {
  return tokens !== null;
}

export function setTokens(next: Tokens | null): void {
  tokens = next;
  if (next) sessionStorage.setItem(SESSION_KEY, JSON.stringify(next));
  else sessionStorage.removeItem(SESSION_KEY);
  listeners.forEach((listener) => listener());
}

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// One refresh at a time: requests that meet an expired access token together wait for it.
let refreshing: Promise<boolean> | null = null;

async function refresh(): Promise<boolean> {
  const current = tokens;
  if (!current) return false;
  const answer = await fetch("/api/v1/auth/refresh", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refresh_token: current.refresh_token }),
  });
  if (!answer.ok) {
    setTokens(null);
    return false;
  }
  setTokens((await answer.json()) as Tokens);
  return true;
}

const retries = new Map<string, Request>();

const bearer: Middleware = {
  onRequest({ request, id }) {
    if (tokens) request.headers.set("Authorization", `Bearer ${tokens.access_token}`);
    if (!request.url.includes("/api/v1/auth/")) retries.set(id, request.clone());
    return request;
  },
  async onResponse({ response, id }) {
    const retry = retries.get(id);
    retries.delete(id);
    if (response.status !== 401 || !retry || !tokens) return response;
    refreshing ??= refresh().finally(() => {
      refreshing = null;
    });
    if (!(await refreshing) || !tokens) return response;
    const again = new Request(retry);
    again.headers.set("Authorization", `Bearer ${(tokens as Tokens).access_token}`);
    return fetch(again);
  },
  onError({ id }) {
    retries.delete(id);
  },
};

export const api = createClient<paths>({ baseUrl: "" });
api.use(bearer);

/** A refusal of the gateway, with the sentence to show. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Problem = {
  title?: string;
  detail?: string | { msg?: string }[];
  errors?: { field?: string; detail?: string }[] | null;
};

/** The sentence of an error answer: RFC 9457 problem details (the gateway's), with each
 * refused field's own sentence; FastAPI's bare `detail` for anything older. */
export function problemText(body: unknown, status: number): string {
  const problem = (body ?? {}) as Problem;
  const fields = (problem.errors ?? [])
    .map((error) => (error.field ? `${error.field}: ${error.detail ?? ""}` : (error.detail ?? "")))
    .filter(Boolean);
  if (typeof problem.detail === "string" && problem.detail)
    return [problem.detail, ...fields].join(" ");
  if (Array.isArray(problem.detail))
    return problem.detail.map((item) => item.msg ?? "").join("; ");
  if (fields.length) return fields.join(" ");
  return problem.title ?? `HTTP ${status}`;
}

/** The data of an answer, or an ApiError with the gateway's sentence. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok)
    throw new ApiError(result.response.status, problemText(result.error, result.response.status));
  return result.data as T;
}
