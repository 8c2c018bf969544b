import { useState, type FormEvent } from "react";

import { ErrorNote } from "@/components/ErrorNote";
import { Loading } from "@/components/Loading";
import { MoreButton } from "@/components/MoreButton";
import { labelOf, useI18n } from "@/i18n";
import { useAdministration } from "@/lib/administration";

import { useImportRuns, useUpload } from "../api/imports";
import { RunDetailView } from "../components/RunDetailView";

export default function Imports() {
  const { t, dateTime, number } = useI18n();
  const administration = useAdministration();
  const runs = useImportRuns(administration.id);
  const upload = useUpload(administration.id);
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
