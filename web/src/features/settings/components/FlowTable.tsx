import { Link } from "react-router";

import { PhaseLabel } from "@/components/Labels";
import { labelOf, useI18n } from "@/i18n";

import type { Flow } from "../api/settings";

/** A flow's steps: when each goes out, on which channels, into which phase. */
export function FlowTable({ flow, editable }: { flow: Flow; editable: boolean }) {
  const { t, money, date } = useI18n();
  const days = flow.calendar?.sending_days ?? [];
  return (
    <section className="card" aria-label={flow.name}>
      <h3>
        {flow.name} <span className="muted">({flow.id})</span>
      </h3>
      {(flow.problems ?? []).map((problem) => (
        <p key={problem.loc.join(".")} className="error">
          {problem.msg}
        </p>
      ))}
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
              <td>{(step.channels ?? []).map((channel) => labelOf(t, "channel", channel)).join(", ")}</td>
              <td>{step.template_key}</td>
              <td className="num">{step.minimum_open_amount ? money(step.minimum_open_amount) : "–"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <dl className="details">
        <dt>{t("flow.sendingDays")}</dt>
        <dd>{days.length ? days.map((day) => t(`weekday.${day}` as "weekday.1")).join(", ") : t("flow.everyDay")}</dd>
        <dt>{t("flow.holidays")}</dt>
        <dd>{flow.calendar?.country ?? t("common.none")}</dd>
        <dt>{t("flow.blockedDates")}</dt>
        <dd>{(flow.calendar?.blocked_dates ?? []).map((day) => date(day)).join(", ") || t("common.none")}</dd>
        <dt>{t("flow.bundling")}</dt>
        <dd>
          {flow.bundling?.enabled === false
            ? t("common.no")
            : t("flow.bundledEvery", { days: flow.bundling?.min_days_between_reminders ?? 7 })}
        </dd>
      </dl>
      {editable && (
        <p>
          <Link to={`flows/${encodeURIComponent(flow.id)}`} aria-label={t("flow.editOne", { name: flow.name })}>
            {t("flow.edit")}
          </Link>
        </p>
      )}
    </section>
  );
}
