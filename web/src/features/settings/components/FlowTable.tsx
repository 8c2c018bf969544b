import { PhaseLabel } from "@/components/Labels";
import { labelOf, useI18n } from "@/i18n";

import type { Flow } from "../api/settings";

/** A flow's steps: when each goes out, on which channels, into which phase. */
export function FlowTable({ flow }: { flow: Flow }) {
  const { t, money } = useI18n();
  return (
    <section className="card" aria-label={flow.name}>
      <h3>
        {flow.name} <span className="muted">({flow.id})</span>
      </h3>
      <table>
        <thead>
          <tr>
            <th scope="col">{t("flow.step")}</th>
            <th scope="col">{t("flow.when")}</th>
            <th scope="col">{t("invoice.phase")}</th>
            <th scope="col">{t("flow.channels")}</th>
            <th scope="col">{t("flow.template")}</th>
            <th scope="col" className="num">{t("flow.minimum")}</th>
          </tr>
        </thead>
        <tbody>
          {flow.steps.map((step) => (
            <tr key={step.id}>
              <td>{step.id}</td>
              <td>
                {t("flow.offset", { days: step.offset_days, from: labelOf(t, "offsetFrom", step.offset_from) })}
              </td>
              <td>
                <PhaseLabel phase={step.target_phase} />
              </td>
              <td>{step.channels.join(", ")}</td>
              <td>{step.template_key}</td>
              <td className="num">{step.minimum_open_amount ? money(step.minimum_open_amount) : "–"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
