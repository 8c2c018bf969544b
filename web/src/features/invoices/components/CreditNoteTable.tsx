import { Link } from "react-router";

import { labelOf, useI18n } from "@/i18n";

import type { CreditNote } from "../api/invoices";

/** Credit notes with the invoice each corrects, each marked as a credit note. */
export function CreditNoteTable(props: { creditNotes: CreditNote[]; administrationId: string }) {
  const { t, money, date } = useI18n();
  const base = `/a/${props.administrationId}`;
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">{t("invoice.number")}</th>
          <th scope="col">{t("invoice.invoiceDate")}</th>
          <th scope="col" className="num">{t("invoice.amount")}</th>
          <th scope="col" className="num">{t("invoice.openAmount")}</th>
          <th scope="col">{t("creditNote.corrects")}</th>
          <th scope="col">{t("invoice.status")}</th>
        </tr>
      </thead>
      <tbody>
        {props.creditNotes.map((note) => (
          <tr key={note.credit_note_id}>
            <td>
              {note.debtor_id ? (
                <Link to={`${base}/debtors/${encodeURIComponent(note.debtor_id)}`}>{note.number}</Link>
              ) : (
                note.number
              )}{" "}
              <span className="badge credit">{t("invoice.creditNote")}</span>
            </td>
            <td>{date(note.invoice_date)}</td>
            <td className="num">{money(note.amount, note.currency)}</td>
            <td className="num">{money(note.open_amount, note.currency)}</td>
            <td>
              {note.corrects_invoice_id ? (
                <Link to={`${base}/invoices/${encodeURIComponent(note.corrects_invoice_id)}`}>
                  {note.corrects_invoice_number ?? note.corrects_invoice_id}
                </Link>
              ) : (
                "–"
              )}
            </td>
            <td>{labelOf(t, "status", note.status)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
