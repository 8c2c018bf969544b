import { useState, type FormEvent } from "react";
import { Link } from "react-router";

import { ErrorNote } from "@/components/ErrorNote";
import { Loading } from "@/components/Loading";
import { MoreButton } from "@/components/MoreButton";
import { labelOf, useI18n } from "@/i18n";
import { useAdministration } from "@/lib/administration";

import { useConnections, useImportNow, useImportRuns, useUpload } from "../api/imports";
import { RunDetailView } from "../components/RunDetailView";

export default function Imports() {
  const { t, dateTime, number } = useI18n();
  const administration = useAdministration();
  const runs = useImportRuns(administration.id);
  const upload = useUpload(administration.id);
  const connections = useConnections(administration.id);
  const importNow = useImportNow(administration.id);
  const [file, setFile] = useState<File | null>(null);
  const [shown, setShown] = useState<string | null>(null);
  const items = runs.data?.pages.flatMap((page) => page.items) ?? [];
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (file) upload.mutate(file, { onSuccess: (accepted) => setShown(accepted.run_id) });
  };
  return (
    <>
      <h1>{t("imports.title")}</h1>
      <section className="card" aria-labelledby="connections-heading">
        <h2 id="connections-heading">{t("connections.title")}</h2>
        {connections.data ? (
          <>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t("connection.name")}</th>
                  <th scope="col">{t("connection.sourceKind")}</th>
                  <th scope="col">{t("connection.schedule")}</th>
                  <th scope="col">{t("connection.mapping")}</th>
                  <th scope="col">{t("connections.lastSuccess")}</th>
                  <th scope="col">
                    <span className="muted">{t("imports.detail")}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {connections.data.map((connection) => (
                  <tr key={connection.id}>
                    <td>{connection.name}</td>
                    <td>{labelOf(t, "sourceKind", connection.source_kind)}</td>
                    <td>
                      {labelOf(t, "schedule", connection.schedule)}
                      {connection.schedule === "daily" && ` ${connection.schedule_time?.slice(0, 5) ?? "06:00"}`}
                      {connection.time_zone && <span className="muted"> ({connection.time_zone})</span>}
                    </td>
                    <td>
                      {typeof connection.mapping?.preset === "string"
                        ? labelOf(t, "preset", connection.mapping.preset)
                        : connection.mapping
                          ? t("connections.ownMapping")
                          : t("connection.presetAuto")}
                    </td>
                    <td>{dateTime(connection.last_success_started_at)}</td>
                    <td className="row">
                      <Link
                        to={`connections/${connection.id}`}
                        aria-label={t("connections.editOne", { name: connection.name })}
                      >
                        {administration.may("settings") ? t("connections.edit") : t("imports.show")}
                      </Link>
                      {administration.may("work") && connection.source_kind !== "upload" && (
                        <button
                          type="button"
                          className="secondary"
                          disabled={importNow.isPending}
                          aria-label={t("connections.importNowOne", { name: connection.name })}
                          onClick={() =>
                            importNow.mutate(connection.id, { onSuccess: (accepted) => setShown(accepted.run_id) })
                          }
                        >
                          {t("connections.importNow")}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {connections.data.length === 0 && <p className="muted">{t("connections.none")}</p>}
            <ErrorNote error={importNow.error} />
            {administration.may("settings") && (
              <p>
                <Link to="connections/new">{t("connections.add")}</Link>
              </p>
            )}
          </>
        ) : (
          <Loading error={connections.error} />
        )}
      </section>
      {administration.may("work") && (
        <form className="card stack" onSubmit={submit} aria-labelledby="upload-heading">
          <h2 id="upload-heading">{t("imports.upload")}</h2>
          <p className="muted">{t("imports.uploadHelp")}</p>
          <label>
            {t("imports.file")}
            <input
              type="file"
              accept=".csv,.xlsx,.xml,.zip,.txt"
              onChange={(event) => setFile(event.target.files?.[0] ?? null)}
            />
          </label>
          <ErrorNote error={upload.error} />
          <div className="row">
            <button type="submit" disabled={!file || upload.isPending}>
              {t("imports.start")}
            </button>
          </div>
        </form>
      )}
      {shown && (
        <section className="card" aria-labelledby="run-heading">
          <h2 id="run-heading">{t("imports.run")}</h2>
          <RunDetailView administrationId={administration.id} runId={shown} />
        </section>
      )}
      <section className="card" aria-labelledby="history-heading">
        <h2 id="history-heading">{t("imports.history")}</h2>
        {runs.data ? (
          <>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t("imports.finished")}</th>
                  <th scope="col">{t("imports.source")}</th>
                  <th scope="col">{t("imports.status")}</th>
                  <th scope="col">{t("imports.counts")}</th>
                  <th scope="col">
                    <span className="muted">{t("imports.detail")}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((run) => (
                  <tr key={run.run_id}>
                    <td>{dateTime(run.finished_at)}</td>
                    <td>{run.source}</td>
                    <td>{labelOf(t, "run", run.status)}</td>
                    <td>
                      {Object.entries(run.counts)
                        .filter(([, count]) => count > 0)
                        .map(([name, count]) => `${labelOf(t, "count", name)}: ${number(count)}`)
                        .join(" · ")}
                      {run.error && <span className="error"> {run.error}</span>}
                    </td>
                    <td>
                      <button
                        type="button"
                        className="secondary"
                        aria-label={t("imports.showRun", { when: dateTime(run.finished_at) })}
                        onClick={() => setShown(run.run_id)}
                      >
                        {t("imports.show")}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {items.length === 0 && <p className="muted">{t("imports.none")}</p>}
            <MoreButton hasMore={runs.hasNextPage} loading={runs.isFetchingNextPage} onMore={() => void runs.fetchNextPage()} />
          </>
        ) : (
          <Loading error={runs.error} />
        )}
      </section>
    </>
  );
}
