import { useEffect, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";

import { ErrorNote } from "@/components/ErrorNote";
import { Loading } from "@/components/Loading";
import { Notice } from "@/components/Notice";
import { labelOf, useI18n } from "@/i18n";
import { useAdministration } from "@/lib/administration";

import { useFlows, useRemoveFlow, useSaveFlow, useTemplates, type Flow, type FlowIn } from "../api/settings";

type Channel = "email" | "letter" | "sms" | "call_task";
const CHANNELS: Channel[] = ["email", "letter", "sms", "call_task"];
const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7];
const PHASES = ["reminder_1", "reminder_2", "reminder_3", "final_reminder", "ready_for_collection"];

type Step = {
  id: string;
  offset_days: number;
  offset_from: "due_date" | "previous_step";
  target_phase: string;
  channels: Channel[];
  template_key: string;
  minimum_open_amount: string;
  legally_required: boolean;
};

type Draft = {
  id: string;
  name: string;
  steps: Step[];
  sending_days: number[];
  country: string;
  blocked_dates: string[];
  bundling: boolean;
  min_days_between_reminders: number;
  debtor_types: ("b2b" | "b2c")[];
  payment_conditions: string;
};

function draftOf(flow: Flow | undefined): Draft {
  return {
    id: flow?.id ?? "",
    name: flow?.name ?? "",
    steps: (flow?.steps ?? []).map((step) => ({
      id: step.id,
      offset_days: step.offset_days,
      offset_from: step.offset_from ?? "due_date",
      target_phase: step.target_phase,
      channels: (step.channels ?? []) as Channel[],
      template_key: step.template_key ?? "",
      minimum_open_amount: step.minimum_open_amount ?? "0.00",
      legally_required: step.legally_required ?? false,
    })),
    sending_days: flow?.calendar?.sending_days ?? [1, 2, 3, 4, 5],
    country: flow ? (flow.calendar?.country ?? "") : "NL",
    blocked_dates: flow?.calendar?.blocked_dates ?? [],
    bundling: flow?.bundling?.enabled ?? true,
    min_days_between_reminders: flow?.bundling?.min_days_between_reminders ?? 7,
    debtor_types: flow?.selection?.debtor_types ?? [],
    payment_conditions: (flow?.selection?.payment_conditions ?? []).join("\n"),
  };
}

function bodyOf(draft: Draft): FlowIn {
  return {
    id: draft.id.trim(),
    name: draft.name.trim(),
    steps: draft.steps.map((step) => ({
      ...step,
      // Amounts travel as decimal strings; a Dutch comma is the decimal point.
      minimum_open_amount: step.minimum_open_amount.trim().replace(",", ".") || "0",
    })),
    calendar: {
      sending_days: [...draft.sending_days].sort(),
      country: draft.country.trim().toUpperCase() || null,
      blocked_dates: [...draft.blocked_dates].sort(),
    },
    bundling: { enabled: draft.bundling, min_days_between_reminders: draft.min_days_between_reminders },
    selection: {
      debtor_types: draft.debtor_types,
      payment_conditions: draft.payment_conditions
        .split("\n")
        .map((line) => line.trim())
        .filter(Boolean),
    },
  };
}

const toggled = <T,>(list: T[], item: T, on: boolean) => (on ? [...list, item] : list.filter((x) => x !== item));

/** A flow's steps (when, which phase, channels, template, minimum open amount), its sending
 * days and blocked dates, bundling and the invoices it is for, saved whole; dunning checks it. */
export default function FlowEditor() {
  const { t, date } = useI18n();
  const administration = useAdministration();
  const { flowId = "new" } = useParams();
  const navigate = useNavigate();
  const flows = useFlows(administration.id);
  const templates = useTemplates(administration.id);
  const save = useSaveFlow(administration.id);
  const remove = useRemoveFlow(administration.id);
  const isNew = flowId === "new";
  const stored = flows.data?.find((flow) => flow.id === flowId);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [blocked, setBlocked] = useState("");
  const [saved, setSaved] = useState<string | null>(null);

  useEffect(() => {
    if (flows.data && draft === null) setDraft(draftOf(stored));
  }, [flows.data, draft, stored]);

  if (!flows.data || !draft) return <Loading error={flows.error} />;
  if (!isNew && !stored)
    return (
      <p className="error" role="alert">
        {t("flow.unknown", { id: flowId })}
      </p>
    );
  const change = (patch: Partial<Draft>) => {
    setSaved(null);
    setDraft({ ...draft, ...patch });
  };
  const changeStep = (index: number, patch: Partial<Step>) =>
    change({ steps: draft.steps.map((step, i) => (i === index ? { ...step, ...patch } : step)) });
  const templateKeys = [...new Set((templates.data ?? []).map((template) => template.template_key))];
  const title = isNew ? t("flow.new") : t("flow.title", { name: stored?.name ?? flowId });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate(
      { flow: bodyOf(draft), isNew },
      {
        onSuccess: (answer) => {
          setDraft(draftOf(answer));
          setSaved(t("flow.saved", { name: answer.name }));
          if (isNew) void navigate(`/a/${administration.id}/settings/flows/${encodeURIComponent(answer.id)}`, { replace: true });
        },
      },
    );
  };
  return (
    <>
      <p>
        <Link to={`/a/${administration.id}/settings`}>{t("settings.back")}</Link>
      </p>
      <h1>{title}</h1>
      {(stored?.problems ?? []).map((problem) => (
        <p key={problem.loc.join(".")} className="error">
          {problem.msg}
        </p>
      ))}
      <form className="stack" onSubmit={submit} aria-label={title}>
        <fieldset className="card stack">
          <legend>{t("flow.about")}</legend>
          <div className="row">
            {isNew && (
              <label>
                {t("flow.id")}
                <input required maxLength={100} value={draft.id} onChange={(e) => change({ id: e.target.value })} />
              </label>
            )}
            <label>
              {t("flow.name")}
              <input required maxLength={200} value={draft.name} onChange={(e) => change({ name: e.target.value })} />
            </label>
          </div>
          <div className="row">
            <fieldset>
              <legend>{t("flow.debtorTypes")}</legend>
              {(["b2b", "b2c"] as const).map((kind) => (
                <label key={kind} className="check">
                  <input
                    type="checkbox"
                    checked={draft.debtor_types.includes(kind)}
                    onChange={(e) => change({ debtor_types: toggled(draft.debtor_types, kind, e.target.checked) })}
                  />
                  {labelOf(t, "debtorType", kind)}
                </label>
              ))}
            </fieldset>
            <label>
              {t("flow.paymentConditions")}
              <textarea
                value={draft.payment_conditions}
                onChange={(e) => change({ payment_conditions: e.target.value })}
              />
            </label>
          </div>
        </fieldset>

        <fieldset className="card stack">
          <legend>{t("flow.steps")}</legend>
          <div className="scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t("flow.step")}</th>
                  <th scope="col">{t("flow.when")}</th>
                  <th scope="col">{t("invoice.phase")}</th>
                  <th scope="col">{t("flow.channels")}</th>
                  <th scope="col">{t("flow.template")}</th>
                  <th scope="col">{t("flow.minimum")}</th>
                  <th scope="col">
                    <span className="muted">{t("imports.detail")}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {draft.steps.map((step, index) => {
                  const n = { n: index + 1 };
                  return (
                    <tr key={index}>
                      <td>
                        <input
                          aria-label={t("flow.stepId", n)}
                          required
                          size={12}
                          value={step.id}
                          onChange={(e) => changeStep(index, { id: e.target.value })}
                        />
                      </td>
                      <td>
                        <input
                          type="number"
                          aria-label={t("flow.stepDays", n)}
                          required
                          min={-3650}
                          max={3650}
                          style={{ width: "5rem" }}
                          value={step.offset_days}
                          onChange={(e) => changeStep(index, { offset_days: Number(e.target.value) })}
                        />{" "}
                        <select
                          aria-label={t("flow.stepFrom", n)}
                          value={step.offset_from}
                          onChange={(e) => changeStep(index, { offset_from: e.target.value as Step["offset_from"] })}
                        >
                          <option value="due_date">{labelOf(t, "offsetFrom", "due_date")}</option>
                          <option value="previous_step">{labelOf(t, "offsetFrom", "previous_step")}</option>
                        </select>
                      </td>
                      <td>
                        <input
                          aria-label={t("flow.stepPhase", n)}
                          list="phases"
                          required
                          size={14}
                          value={step.target_phase}
                          onChange={(e) => changeStep(index, { target_phase: e.target.value })}
                        />
                      </td>
                      <td>
                        <fieldset>
                          <legend className="sr-only">{t("flow.stepChannels", n)}</legend>
                          {CHANNELS.map((channel) => (
                            <label key={channel} className="check">
                              <input
                                type="checkbox"
                                checked={step.channels.includes(channel)}
                                onChange={(e) =>
                                  changeStep(index, { channels: toggled(step.channels, channel, e.target.checked) })
                                }
                              />
                              {labelOf(t, "channel", channel)}
                            </label>
                          ))}
                        </fieldset>
                      </td>
                      <td>
                        <select
                          aria-label={t("flow.stepTemplate", n)}
                          value={step.template_key}
                          onChange={(e) => changeStep(index, { template_key: e.target.value })}
                        >
                          <option value="">{t("common.none")}</option>
                          {[...new Set([...templateKeys, step.template_key].filter(Boolean))].map((key) => (
                            <option key={key} value={key}>
                              {labelOf(t, "template", key)}
                            </option>
                          ))}
                        </select>
                        <label className="check">
                          <input
                            type="checkbox"
                            checked={step.legally_required}
                            onChange={(e) => changeStep(index, { legally_required: e.target.checked })}
                          />
                          {t("flow.legallyRequired")}
                        </label>
                      </td>
                      <td>
                        <input
                          aria-label={t("flow.stepMinimum", n)}
                          inputMode="decimal"
                          pattern="[0-9]+([.,][0-9]{1,2})?"
                          size={8}
                          value={step.minimum_open_amount}
                          onChange={(e) => changeStep(index, { minimum_open_amount: e.target.value })}
                        />
                      </td>
                      <td>
                        <button
                          type="button"
                          className="danger"
                          aria-label={t("flow.removeStep", n)}
                          onClick={() => change({ steps: draft.steps.filter((_, i) => i !== index) })}
                        >
                          {t("flow.remove")}
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <datalist id="phases">
            {PHASES.map((phase) => (
              <option key={phase} value={phase} />
            ))}
          </datalist>
          <div className="row">
            <button
              type="button"
              className="secondary"
              onClick={() =>
                change({
                  steps: [
                    ...draft.steps,
                    {
                      id: `step_${draft.steps.length + 1}`,
                      offset_days: 7,
                      offset_from: draft.steps.length ? "previous_step" : "due_date",
                      target_phase: `reminder_${draft.steps.length + 1}`,
                      channels: ["email"],
                      template_key: "",
                      minimum_open_amount: "0.00",
                      legally_required: false,
                    },
                  ],
                })
              }
            >
              {t("flow.addStep")}
            </button>
          </div>
        </fieldset>

        <fieldset className="card stack">
          <legend>{t("flow.calendar")}</legend>
          <fieldset>
            <legend>{t("flow.sendingDays")}</legend>
            <div className="days">
              {WEEKDAYS.map((day) => (
                <label key={day} className="check">
                  <input
                    type="checkbox"
                    checked={draft.sending_days.includes(day)}
                    onChange={(e) => change({ sending_days: toggled(draft.sending_days, day, e.target.checked) })}
                  />
                  {t(`weekday.${day}` as "weekday.1")}
                </label>
              ))}
            </div>
          </fieldset>
          <label>
            {t("flow.holidaysOf")}
            <input
              maxLength={2}
              pattern="[A-Za-z]{2}"
              size={4}
              value={draft.country}
              onChange={(e) => change({ country: e.target.value })}
            />
          </label>
          <div className="stack">
            <span className="muted">{t("flow.blockedDates")}</span>
            <ul className="plain">
              {draft.blocked_dates.map((day) => (
                <li key={day} className="row">
                  <span>{date(day)}</span>
                  <button
                    type="button"
                    className="secondary"
                    aria-label={t("flow.unblockDate", { date: date(day) })}
                    onClick={() => change({ blocked_dates: draft.blocked_dates.filter((d) => d !== day) })}
                  >
                    {t("flow.remove")}
                  </button>
                </li>
              ))}
              {draft.blocked_dates.length === 0 && <li className="muted">{t("common.none")}</li>}
            </ul>
            <div className="row">
              <label>
                {t("flow.blockDate")}
                <input type="date" value={blocked} onChange={(e) => setBlocked(e.target.value)} />
              </label>
              <button
                type="button"
                className="secondary"
                disabled={!blocked || draft.blocked_dates.includes(blocked)}
                onClick={() => {
                  change({ blocked_dates: [...draft.blocked_dates, blocked].sort() });
                  setBlocked("");
                }}
              >
                {t("flow.addDate")}
              </button>
            </div>
          </div>
        </fieldset>

        <fieldset className="card stack">
          <legend>{t("flow.bundling")}</legend>
          <label className="check">
            <input type="checkbox" checked={draft.bundling} onChange={(e) => change({ bundling: e.target.checked })} />
            {t("flow.bundlingOn")}
          </label>
          <label>
            {t("flow.minDaysBetween")}
            <input
              type="number"
              min={0}
              max={365}
              required
              disabled={!draft.bundling}
              value={draft.min_days_between_reminders}
              onChange={(e) => change({ min_days_between_reminders: Number(e.target.value) })}
            />
          </label>
        </fieldset>

        <ErrorNote error={save.error ?? remove.error} />
        <Notice text={saved} />
        <div className="row">
          <button type="submit" disabled={save.isPending}>
            {t("flow.save")}
          </button>
          {!isNew && (
            <button
              type="button"
              className="danger"
              disabled={remove.isPending}
              onClick={() => {
                if (window.confirm(t("flow.removeConfirm", { name: draft.name })))
                  remove.mutate(flowId, { onSuccess: () => void navigate(`/a/${administration.id}/settings`) });
              }}
            >
              {t("flow.removeFlow")}
            </button>
          )}
        </div>
      </form>
    </>
  );
}
