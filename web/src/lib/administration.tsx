// The administration the user works in (from the address), with the user's role there.
import { createContext, useContext } from "react";

import type { Action } from "./access";
import { may } from "./access";

export type Administration = { id: string; name: string; role: string };

export const AdministrationContext = createContext<Administration | null>(null);

export function useAdministration(): Administration & { may: (action: Action) => boolean } {
  const administration = useContext(AdministrationContext);
  if (!administration) throw new Error("useAdministration outside an administration");
  return { ...administration, may: (action) => may(administration.role, action) };
}
