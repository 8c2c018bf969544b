import { Link } from "react-router";

import { ErrorNote } from "@/components/ErrorNote";
import { Loading } from "@/components/Loading";
import { labelOf, useI18n } from "@/i18n";
import { useAdministration } from "@/lib/administration";

import { useAdministrationPause, useAdministrationSettings, useFlows, type Pause } from "../api/settings";
import { FlowTable } from "../components/FlowTable";
import { ProfileForm } from "../components/ProfileForm";
import { TemplateList } from "../components/TemplateList";

export default function Settings() {
  const { t, date } = useI18n();
  const administration = useAdministration();
  const settings = useAdministrationSettings(administration.id);
  const flows = useFlows(administration.id);
  const pause = useAdministrationPause(administration.id);
  return (
    <>
      <h1>{t("settings.title")}</h1>
      <section className="card stack" aria-labelledby="pause-heading">
        <h2 id="pause-heading">{t("settings.pause")}</h2>
        {settings.data ? (
          <>
            <p>
              {labelOf(t, "pause", settings.data.pause ?? "active")}
              {settings.data.last_run_date && (
                <span className="muted"> · {t("settings.lastRun", { date: date(settings.data.last_run_date) })}</span>
              )}
            </p>
            <label>
              {t("settings.pauseMode")}
              <select
                value={settings.data.pause ?? "active"}
                disabled={pause.isPending}
                onChange={(event) => pause.mutate(event.target.value as Pause)}
              >
                <option value="active">{t("pause.active")}</option>
                <option value="reminders_paused">{t("pause.reminders_paused")}</option>
                <option value="fully_paused">{t("pause.fully_paused")}</option>
              </select>
            </label>
            <ErrorNote error={pause.error} />
          </>
        ) : (
          <Loading error={settings.error} />
        )}
      </section>
      <section aria-labelledby="flows-heading">
        <h2 id="flows-heading">{t("settings.flows")}</h2>
        {flows.data ? (
          flows.data.map((flow) => <FlowTable key={flow.id} flow={flow} editable={administration.may("settings")} />)
        ) : (
          <Loading error={flows.error} />
        )}
        {administration.may("settings") && (
          <p>
            <Link to="flows/new">{t("flow.add")}</Link>
          </p>
        )}
      </section>
      <section className="card" aria-labelledby="templates-heading">
        <h2 id="templates-heading">{t("settings.templates")}</h2>
        <TemplateList administrationId={administration.id} />
      </section>
      <section className="card">
        <ProfileForm administrationId={administration.id} />
      </section>
    </>
  );
}
