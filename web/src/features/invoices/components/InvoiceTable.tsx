import { Link } from "react-router";

import { PhaseLabel } from "@/components/Labels";
import { useI18n } from "@/i18n";

import type { InvoiceSummary } from "../api/invoices";

/** A credit note: the bookkeeping's own kind where the gateway gives one, else a negative amount. */
export function isCreditNote(invoice: InvoiceSummary): boolean {
  const kind = (invoice as { kind?: string | null }).kind;
  if (kind) return kind === "credit_note";
  return Number(invoice.amount ?? 0) < 0;
}

export function InvoiceTable(props: { invoices: InvoiceSummary[]; administrationId: string }) {
  const { t, money, date } = useI18n();
  return (
    <table>
      <caption className="muted">{t("invoices.caption")}</caption>
      <thead>
        <tr>
          <th scope="col">{t("invoice.number")}</th>
          <th scope="col">{t("invoice.debtor")}</th>
          <th scope="col">{t("invoice.dueDate")}</th>
          <th scope="col" className="num">{t("invoice.amount")}</th>
          <th scope="col" className="num">{t("invoice.openAmount")}</th>
          <th scope="col">{t("invoice.phase")}</th>
          <th scope="col">{t("invoice.nextStep")}</th>
        </tr>
      </thead>
      <tbody>
        {props.invoices.map((invoice) => (
          <tr key={invoice.invoice_id}>
            <td>
              <Link to={`/a/${props.administrationId}/invoices/${encodeURIComponent(invoice.invoice_id)}`}>
                {invoice.number}
              </Link>{" "}
              {isCreditNote(invoice) && <span className="badge credit">{t("invoice.creditNote")}</span>}
            </td>
            <td>
              {invoice.debtor_id ? (
                <Link to={`/a/${props.administrationId}/debtors/${encodeURIComponent(invoice.debtor_id)}`}>
                  {invoice.debtor_name ?? invoice.debtor_id}
                </Link>
              ) : (
                "–"
              )}
            </td>
            <td>
              {date(invoice.due_date)}{" "}
              {invoice.overdue && <span className="badge warn">{t("invoice.overdue")}</span>}
            </td>
            <td className="num">{money(invoice.amount, invoice.currency)}</td>
            <td className="num">{money(invoice.open_amount, invoice.currency)}</td>
            <td>
              <PhaseLabel phase={invoice.phase} />{" "}
              {invoice.paused && <span className="badge warn">{t("invoice.paused")}</span>}
            </td>
            <td>{invoice.next_step_on ? date(invoice.next_step_on) : "–"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
