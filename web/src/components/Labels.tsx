import { labelOf, useI18n } from "@/i18n";

export function PhaseLabel({ phase }: { phase: string | null | undefined }) {
  const { t } = useI18n();
  return <span className={`phase phase-${phase ?? "none"}`}>{labelOf(t, "phase", phase)}</span>;
}

export function ReasonLabel({ reason }: { reason: string }) {
  const { t } = useI18n();
  return <>{labelOf(t, "reason", reason)}</>;
}
