import { useState, type FormEvent } from "react";

import { labelOf, useI18n } from "@/i18n";

import type { Filters } from "../api/invoices";

const PHASES = ["sent", "reminder_1", "reminder_2", "final_reminder", "ready_for_collection"];
const REASONS = [
  "email_missing",
  "phone_missing",
  "below_minimum_amount",
  "possible_bookkeeping_error",
  "email_undeliverable",
  "unread_messages",
  "needs_call",
  "ready_for_collection",
  "unmatched_credit_note",
  "legal_letter_missing",
  "letter_to_post",
  "message_failed",
  "online_payment_registered",
];

/** The invoice list's filters; applied together when the form is sent. */
export function InvoiceFilters(props: { filters: Filters; onApply: (filters: Filters) => void }) {
  const { t } = useI18n();
  const [draft, setDraft] = useState<Filters>(props.filters);
  const field = (name: keyof Filters) => ({
    value: draft[name] ?? "",
    onChange: (event: { target: { value: string } }) =>
      setDraft({ ...draft, [name]: event.target.value || undefined }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    props.onApply(draft);
  };
  return (
    <form className="card row" role="search" aria-label={t("invoices.filters")} onSubmit={submit}>
      <label>
        {t("invoices.search")}
        <input type="search" {...field("q")} />
      </label>
      <label>
        {t("invoices.status")}
        <select {...field("status")}>
          <option value="">{t("invoices.status.open")}</option>
          <option value="settled">{t("invoices.status.settled")}</option>
          <option value="all">{t("invoices.status.all")}</option>
        </select>
      </label>
      <label>
        {t("invoice.phase")}
        <select {...field("phase")}>
          <option value="">{t("invoices.any")}</option>
          {PHASES.map((phase) => (
            <option key={phase} value={phase}>
              {labelOf(t, "phase", phase)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t("invoices.attention")}
        <select {...field("attention")}>
          <option value="">{t("invoices.any")}</option>
          {REASONS.map((reason) => (
            <option key={reason} value={reason}>
              {labelOf(t, "reason", reason)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t("invoices.paused")}
        <select {...field("paused")}>
          <option value="">{t("invoices.any")}</option>
          <option value="true">{t("common.yes")}</option>
          <option value="false">{t("common.no")}</option>
        </select>
      </label>
      <label>
        {t("invoices.overdue")}
        <select {...field("overdue")}>
          <option value="">{t("invoices.any")}</option>
          <option value="true">{t("common.yes")}</option>
          <option value="false">{t("common.no")}</option>
        </select>
      </label>
      <label>
        {t("invoices.dueFrom")}
        <input type="date" {...field("due_from")} />
      </label>
      <label>
        {t("invoices.dueTo")}
        <input type="date" {...field("due_to")} />
      </label>
      <label>
        {t("invoices.amountMin")}
        <input type="number" step="0.01" inputMode="decimal" {...field("amount_min")} />
      </label>
      <label>
        {t("invoices.amountMax")}
        <input type="number" step="0.01" inputMode="decimal" {...field("amount_max")} />
      </label>
      <label>
        {t("invoices.sort")}
        <select {...field("sort")}>
          <option value="">{t("invoices.sort.due_date")}</option>
          <option value="open_amount">{t("invoices.sort.open_amount")}</option>
          <option value="number">{t("invoices.sort.number")}</option>
          <option value="invoice_date">{t("invoices.sort.invoice_date")}</option>
        </select>
      </label>
      <label>
        {t("invoices.order")}
        <select {...field("order")}>
          <option value="">{t("invoices.order.asc")}</option>
          <option value="desc">{t("invoices.order.desc")}</option>
        </select>
      </label>
      <button type="submit">{t("invoices.apply")}</button>
      <button
        type="button"
        className="secondary"
        onClick={() => {
          setDraft({});
          props.onApply({});
        }}
      >
        {t("invoices.clear")}
      </button>
    </form>
  );
}
