// What a role may do, as the gateway decides it (settle_gateway.domain.access): the app shows
// only the actions the gateway would accept, and the gateway still checks every one.
export type Role = "administrator" | "standard" | "communication" | "restricted";

export type Action = "read" | "message" | "work" | "settings";

const ALLOWED: Record<Action, Role[]> = {
  read: ["administrator", "standard", "communication", "restricted"],
  message: ["administrator", "standard", "communication"],
  work: ["administrator", "standard"],
  settings: ["administrator"],
};

export function may(role: string | undefined, action: Action): boolean {
  return role !== undefined && ALLOWED[action].includes(role as Role);
}
