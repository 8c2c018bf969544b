import { labelOf, useI18n } from "@/i18n";

import type { Mapping, MappingPreview } from "../api/imports";

type Field = { name: string; required: boolean; meaning: string };
type Preset = { name: string; title: string; columns: Record<string, unknown> };

type Props = {
  fields: Field[];
  presets: Preset[];
  mapping: Mapping | null;
  header: string[];
  disabled: boolean;
  onChange: (mapping: Mapping | null) => void;
};

function columnText(value: unknown): string {
  if (Array.isArray(value)) return value.join(" + ");
  return value === undefined || value === null ? "" : String(value);
}

/** The column mapping: a preset, and for each of our fields the column of the export it reads
 * (the preset's unless another is picked). */
export function MappingEditor({ fields, presets, mapping, header, disabled, onChange }: Props) {
  const { t } = useI18n();
  const presetName = typeof mapping?.preset === "string" ? mapping.preset : "";
  const preset = presets.find((p) => p.name === presetName);
  const setPreset = (name: string) => {
    const overrides = Object.fromEntries(Object.entries(mapping ?? {}).filter(([key]) => key !== "preset"));
    if (!name && Object.keys(overrides).length === 0) onChange(null);
    else onChange(name ? { preset: name, ...overrides } : overrides);
  };
  const setColumn = (field: string, column: string) => {
    const next: Mapping = { ...(mapping ?? {}) };
    if (!column) delete next[field];
    // The address may span two columns: one picked here is the first line.
    else next[field] = field === "debtor_address_lines" ? [column] : column;
    onChange(Object.keys(next).length ? next : null);
  };
  return (
    <div className="stack">
      <label>
        {t("connection.preset")}
        <select value={presetName} disabled={disabled} onChange={(event) => setPreset(event.target.value)}>
          <option value="">{t("connection.presetAuto")}</option>
          {presets.map((p) => (
            <option key={p.name} value={p.name}>
              {labelOf(t, "preset", p.name)}
            </option>
          ))}
        </select>
      </label>
      <table>
        <thead>
          <tr>
            <th scope="col">{t("connection.field")}</th>
            <th scope="col">{t("connection.column")}</th>
          </tr>
        </thead>
        <tbody>
          {fields.map((field) => {
            const own = mapping?.[field.name];
            const fromPreset = columnText(preset?.columns[field.name]);
            const chosen = own === undefined ? "" : columnText(Array.isArray(own) ? own[0] : own);
            const choices = [...header];
            if (chosen && !choices.includes(chosen)) choices.push(chosen);
            const name = labelOf(t, "field", field.name);
            return (
              <tr key={field.name}>
                <th scope="row">
                  {name}
                  {field.required && <span className="badge warn"> {t("connection.required")}</span>}
                </th>
                <td>
                  {header.length > 0 || chosen ? (
                    <select
                      aria-label={t("connection.columnFor", { field: name })}
                      value={chosen}
                      disabled={disabled}
                      onChange={(event) => setColumn(field.name, event.target.value)}
                    >
                      <option value="">
                        {fromPreset ? t("connection.asPreset", { column: fromPreset }) : t("connection.notRead")}
                      </option>
                      {choices.map((column) => (
                        <option key={column} value={column}>
                          {column}
                        </option>
                      ))}
                    </select>
                  ) : (
                    <input
                      aria-label={t("connection.columnFor", { field: name })}
                      placeholder={fromPreset}
                      value={chosen}
                      disabled={disabled}
                      onChange={(event) => setColumn(field.name, event.target.value.trim())}
                    />
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** The file as the importer would read it: which presets fit, the field each column feeds, and
 * the first rows in our fields with why a row would be rejected. */
export function MappingPreviewView({ preview, fields }: { preview: MappingPreview; fields: Field[] }) {
  const { t } = useI18n();
  const shown = fields
    .map((field) => field.name)
    .filter((name) => preview.rows.some((row) => (row.fields[name] ?? null) !== null));
  const rejected = preview.rows.filter((row) => row.error).length;
  return (
    <div className="stack">
      {preview.problem && (
        <p className="error" role="alert">
          {preview.problem}
        </p>
      )}
      <ul className="plain">
        {preview.presets.map((fit) => (
          <li key={fit.name}>
            {labelOf(t, "preset", fit.name)}:{" "}
            {fit.fits ? t("connection.fits") : t("connection.lacks", { columns: fit.lacking.join(", ") })}
          </li>
        ))}
      </ul>
      <p className="muted">
        {t("connection.readAs", {
          preset: preview.preset ? labelOf(t, "preset", preview.preset) : t("connection.noPreset"),
          columns: preview.columns
            .map((column) => `${column.title} → ${column.field ? labelOf(t, "field", column.field) : "–"}`)
            .join(", "),
        })}
      </p>
      {preview.rows.length > 0 && (
        <>
          <p className={rejected ? "error" : "notice"}>
            {rejected ? t("connection.rowsRejected", { count: rejected }) : t("connection.rowsFine")}
          </p>
          <div className="scroll">
            <table>
              <caption className="muted">{t("connection.firstRows", { count: preview.rows.length })}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("imports.position")}</th>
                  <th scope="col">{t("imports.reference")}</th>
                  <th scope="col">{t("connection.rowProblem")}</th>
                  {shown.map((name) => (
                    <th key={name} scope="col">
                      {labelOf(t, "field", name)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {preview.rows.map((row) => (
                  <tr key={row.position}>
                    <td>{row.position}</td>
                    <td>{row.reference ?? ""}</td>
                    <td className="error">{row.error ?? ""}</td>
                    {shown.map((name) => (
                      <td key={name}>{row.fields[name] ?? ""}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </div>
  );
}
