import { useEffect, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";

import { ErrorNote } from "@/components/ErrorNote";
import { Loading } from "@/components/Loading";
import { Notice } from "@/components/Notice";
import { labelOf, useI18n } from "@/i18n";
import { useAdministration } from "@/lib/administration";

import {
  useConnections,
  useMappingPresets,
  useMappingPreview,
  useSaveConnection,
  type Connection,
  type ConnectionIn,
  type Mapping,
} from "../api/imports";
import { MappingEditor, MappingPreviewView } from "../components/MappingEditor";

type Draft = {
  id: string;
  name: string;
  source_kind: string;
  schedule: "daily" | "on_demand" | "on_delivery";
  schedule_time: string;
  time_zone: string;
  complete_list: boolean;
  default_payment_term_days: number;
  ignore_debtor_numbers: string;
  ignore_invoice_numbers: string;
  ignore_payment_conditions: string;
  moneybird_administration: string;
  moneybird_token: string;
  mapping: Mapping | null;
};

const lines = (text: string) =>
  text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);

function draftOf(id: string, stored: Connection | undefined): Draft {
  return {
    id,
    name: stored?.name ?? "",
    source_kind: stored?.source_kind ?? "upload",
    schedule: stored?.schedule ?? "on_delivery",
    schedule_time: stored?.schedule_time?.slice(0, 5) ?? "06:00",
    time_zone: stored?.time_zone ?? "Europe/Amsterdam",
    complete_list: stored?.complete_list ?? false,
    default_payment_term_days: stored?.default_payment_term_days ?? 30,
    ignore_debtor_numbers: (stored?.ignore_debtor_numbers ?? []).join("\n"),
    ignore_invoice_numbers: (stored?.ignore_invoice_numbers ?? []).join("\n"),
    ignore_payment_conditions: (stored?.ignore_payment_conditions ?? []).join("\n"),
    moneybird_administration: stored?.moneybird?.administration_id ?? "",
    moneybird_token: "",
    mapping: stored?.mapping ?? null,
  };
}

function bodyOf(draft: Draft): ConnectionIn {
  return {
    name: draft.name.trim(),
    source_kind: draft.source_kind as ConnectionIn["source_kind"],
    schedule: draft.schedule,
    schedule_time: draft.schedule === "daily" ? draft.schedule_time : null,
    time_zone: draft.time_zone.trim() || null,
    complete_list: draft.complete_list,
    default_payment_term_days: draft.default_payment_term_days,
    ignore_debtor_numbers: lines(draft.ignore_debtor_numbers),
    ignore_invoice_numbers: lines(draft.ignore_invoice_numbers),
    ignore_payment_conditions: lines(draft.ignore_payment_conditions),
    mapping: draft.mapping,
    moneybird:
      draft.source_kind === "moneybird"
        ? { administration_id: draft.moneybird_administration.trim(), token: draft.moneybird_token || null }
        : null,
  };
}

function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  return intl.supportedValuesOf?.("timeZone") ?? ["Europe/Amsterdam"];
}

/** A connection's source, schedule, time zone, ignore lists and column mapping, with the first
 * rows of an export read with the mapping as it is being edited. */
export default function ConnectionEditor() {
  const { t } = useI18n();
  const administration = useAdministration();
  const { connectionId = "new" } = useParams();
  const navigate = useNavigate();
  const connections = useConnections(administration.id);
  const presets = useMappingPresets(administration.id);
  const save = useSaveConnection(administration.id);
  const isNew = connectionId === "new";
  const stored = connections.data?.find((c) => c.id === connectionId);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const preview = useMappingPreview(administration.id, file, draft?.mapping ?? null);
  const editable = administration.may("settings");

  useEffect(() => {
    if (connections.data && draft === null) {
      const hasUploads = connections.data.some((c) => c.id === "uploads");
      setDraft(draftOf(isNew ? (hasUploads ? "" : "uploads") : connectionId, stored));
    }
  }, [connections.data, draft, isNew, connectionId, stored]);

  if (!connections.data || !presets.data || !draft) return <Loading error={connections.error ?? presets.error} />;
  if (!isNew && !stored)
    return (
      <p className="error" role="alert">
        {t("connection.unknown", { id: connectionId })}
      </p>
    );
  const change = (patch: Partial<Draft>) => {
    setSaved(null);
    setDraft({ ...draft, ...patch });
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate(
      { id: draft.id.trim(), body: bodyOf(draft) },
      {
        onSuccess: (answer) => {
          setSaved(t("connection.saved", { name: answer.name }));
          setDraft(draftOf(answer.id, answer));
          if (isNew) void navigate(`/a/${administration.id}/imports/connections/${answer.id}`, { replace: true });
        },
      },
    );
  };
  const header = preview.data?.header ?? [];
  const title = isNew ? t("connection.new") : t("connection.title", { name: stored?.name ?? connectionId });
  return (
    <>
      <p>
        <Link to={`/a/${administration.id}/imports`}>{t("connection.back")}</Link>
      </p>
      <h1>{title}</h1>
      <form className="stack" onSubmit={submit} aria-label={title}>
        <fieldset className="card stack" disabled={!editable}>
          <legend>{t("connection.source")}</legend>
          {isNew && (
            <label>
              {t("connection.id")}
              <input
                required
                pattern="[A-Za-z0-9_\-]+"
                maxLength={64}
                value={draft.id}
                onChange={(e) => change({ id: e.target.value })}
              />
            </label>
          )}
          <label>
            {t("connection.name")}
            <input required maxLength={200} value={draft.name} onChange={(e) => change({ name: e.target.value })} />
          </label>
          <label>
            {t("connection.sourceKind")}
            <select value={draft.source_kind} onChange={(e) => change({ source_kind: e.target.value })}>
              <option value="upload">{labelOf(t, "sourceKind", "upload")}</option>
              <option value="moneybird">{labelOf(t, "sourceKind", "moneybird")}</option>
              {draft.source_kind === "file" && <option value="file">{labelOf(t, "sourceKind", "file")}</option>}
            </select>
          </label>
          {draft.source_kind === "moneybird" && (
            <div className="row">
              <label>
                {t("connection.moneybirdAdministration")}
                <input
                  required
                  inputMode="numeric"
                  pattern="[0-9]+"
                  value={draft.moneybird_administration}
                  onChange={(e) => change({ moneybird_administration: e.target.value })}
                />
              </label>
              <label>
                {stored?.moneybird?.token_set ? t("connection.moneybirdTokenKept") : t("connection.moneybirdToken")}
                <input
                  type="password"
                  autoComplete="off"
                  required={!stored?.moneybird?.token_set}
                  value={draft.moneybird_token}
                  onChange={(e) => change({ moneybird_token: e.target.value })}
                />
              </label>
            </div>
          )}
          {stored?.path && (
            <p className="muted">{t("connection.path", { path: stored.path })}</p>
          )}
          <div className="row">
            <label>
              {t("connection.schedule")}
              <select value={draft.schedule} onChange={(e) => change({ schedule: e.target.value as Draft["schedule"] })}>
                {(["on_delivery", "daily", "on_demand"] as const).map((schedule) => (
                  <option key={schedule} value={schedule}>
                    {labelOf(t, "schedule", schedule)}
                  </option>
                ))}
              </select>
            </label>
            {draft.schedule === "daily" && (
              <label>
                {t("connection.scheduleTime")}
                <input
                  type="time"
                  required
                  value={draft.schedule_time}
                  onChange={(e) => change({ schedule_time: e.target.value })}
                />
              </label>
            )}
            <label>
              {t("connection.timeZone")}
              <input
                list="time-zones"
                maxLength={64}
                value={draft.time_zone}
                onChange={(e) => change({ time_zone: e.target.value })}
              />
              <datalist id="time-zones">
                {timeZones().map((zone) => (
                  <option key={zone} value={zone} />
                ))}
              </datalist>
            </label>
            <label>
              {t("connection.paymentTerm")}
              <input
                type="number"
                min={0}
                max={365}
                required
                value={draft.default_payment_term_days}
                onChange={(e) => change({ default_payment_term_days: Number(e.target.value) })}
              />
            </label>
          </div>
          <label className="check">
            <input
              type="checkbox"
              checked={draft.complete_list}
              onChange={(e) => change({ complete_list: e.target.checked })}
            />
            {t("connection.completeList")}
          </label>
        </fieldset>

        <fieldset className="card stack" disabled={!editable}>
          <legend>{t("connection.ignore")}</legend>
          <p className="muted">{t("connection.ignoreHelp")}</p>
          <div className="columns">
            <label>
              {t("connection.ignoreDebtors")}
              <textarea value={draft.ignore_debtor_numbers} onChange={(e) => change({ ignore_debtor_numbers: e.target.value })} />
            </label>
            <label>
              {t("connection.ignoreInvoices")}
              <textarea
                value={draft.ignore_invoice_numbers}
                onChange={(e) => change({ ignore_invoice_numbers: e.target.value })}
              />
            </label>
            <label>
              {t("connection.ignoreConditions")}
              <textarea
                value={draft.ignore_payment_conditions}
                onChange={(e) => change({ ignore_payment_conditions: e.target.value })}
              />
            </label>
          </div>
        </fieldset>

        {draft.source_kind !== "moneybird" && (
          <section className="card stack" aria-labelledby="mapping-heading">
            <h2 id="mapping-heading">{t("connection.mapping")}</h2>
            <p className="muted">{t("connection.mappingHelp")}</p>
            <label>
              {t("connection.previewFile")}
              <input
                type="file"
                accept=".csv,.txt,.xlsx"
                onChange={(event) => setFile(event.target.files?.[0] ?? null)}
              />
            </label>
            <div className="mapping">
              <MappingEditor
                fields={presets.data.fields}
                presets={presets.data.presets}
                mapping={draft.mapping}
                header={header}
                disabled={!editable}
                onChange={(mapping) => change({ mapping })}
              />
              <section aria-labelledby="preview-heading" aria-busy={preview.isFetching}>
                <h3 id="preview-heading">{t("connection.preview")}</h3>
                {!file && <p className="muted">{t("connection.previewHelp")}</p>}
                {file && (preview.data ? <MappingPreviewView preview={preview.data} fields={presets.data.fields} /> : <Loading error={preview.error} />)}
                {preview.data && preview.error ? <ErrorNote error={preview.error} /> : null}
              </section>
            </div>
          </section>
        )}

        <ErrorNote error={save.error} />
        <Notice text={saved} />
        {editable && (
          <div className="row">
            <button type="submit" disabled={save.isPending}>
              {t("connection.save")}
            </button>
          </div>
        )}
      </form>
    </>
  );
}
