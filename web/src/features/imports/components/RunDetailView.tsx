import { Loading } from "@/components/Loading";
import { labelOf, useI18n } from "@/i18n";

import { useImportRun } from "../api/imports";

/** A run's outcome: its counts, notices and every rejected record with its reason. */
export function RunDetailView(props: { administrationId: string; runId: string }) {
  const { t, number } = useI18n();
  const run = useImportRun(props.administrationId, props.runId);
  if (!run.data) return <Loading error={run.error} />;
  const { status, counts, error, notices = [], rejected = [] } = run.data;
  return (
    <div className="stack" aria-live="polite">
      <p>
        {t("imports.status")}: <strong>{labelOf(t, "run", status)}</strong>
      </p>
      <p>
        {Object.entries(counts)
          .map(([name, count]) => `${labelOf(t, "count", name)}: ${number(count)}`)
          .join(" · ")}
      </p>
      {error && <p className="error">{error}</p>}
      {notices.map((notice) => (
        <p key={notice} className="muted">
          {notice}
        </p>
      ))}
      {rejected.length > 0 && (
        <table>
          <caption>{t("imports.rejected")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("imports.position")}</th>
              <th scope="col">{t("imports.reference")}</th>
              <th scope="col">{t("imports.reason")}</th>
            </tr>
          </thead>
          <tbody>
            {rejected.map((record) => (
              <tr key={`${record.position}-${record.reference ?? ""}`}>
                <td>{record.position}</td>
                <td>{record.reference ?? "–"}</td>
                <td>{record.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
