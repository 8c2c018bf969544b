import { Link, useParams } from "react-router";

import { PhaseLabel, ReasonLabel } from "@/components/Labels";
import { Loading } from "@/components/Loading";
import { MessageComposer } from "@/components/MessageComposer";
import { labelOf, useI18n } from "@/i18n";
import { useAdministration } from "@/lib/administration";

import { useInvoice } from "../api/invoices";
import { InvoiceActions } from "../components/InvoiceActions";
import { CreditNoteTable } from "../components/CreditNoteTable";
import { isCreditNote } from "../components/InvoiceTable";
import { Timeline } from "../components/Timeline";

export default function InvoicePage() {
  const { t, money, date } = useI18n();
  const administration = useAdministration();
  const { invoiceId = "" } = useParams();
  const found = useInvoice(administration.id, invoiceId);
  if (!found.data) return <Loading error={found.error} />;
  const invoice = found.data;
  const planned = invoice.planned;
  return (
    <>
      <p>
        <Link to={`/a/${administration.id}/invoices`}>{t("invoice.back")}</Link>
      </p>
      <h1>
        {isCreditNote(invoice) ? t("invoice.creditNoteTitle", { number: invoice.number }) : t("invoice.title", { number: invoice.number })}
      </h1>
      <div className="columns">
        <section className="card" aria-labelledby="details-heading">
          <h2 id="details-heading">{t("invoice.details")}</h2>
          <dl className="details">
            <dt>{t("invoice.debtor")}</dt>
            <dd>
              {invoice.debtor_id ? (
                <Link to={`/a/${administration.id}/debtors/${encodeURIComponent(invoice.debtor_id)}`}>
                  {invoice.debtor_name ?? invoice.debtor_id}
                </Link>
              ) : (
                "–"
              )}
            </dd>
            <dt>{t("invoice.invoiceDate")}</dt>
            <dd>{date(invoice.invoice_date)}</dd>
            <dt>{t("invoice.dueDate")}</dt>
            <dd>
              {date(invoice.due_date)} {invoice.overdue && <span className="badge warn">{t("invoice.overdue")}</span>}
            </dd>
            <dt>{t("invoice.amount")}</dt>
            <dd>{money(invoice.amount, invoice.currency)}</dd>
            <dt>{t("invoice.openAmount")}</dt>
            <dd>{money(invoice.open_amount, invoice.currency)}</dd>
            <dt>{t("invoice.status")}</dt>
            <dd>{labelOf(t, "status", invoice.status)}</dd>
            <dt>{t("invoice.phase")}</dt>
            <dd>
              <PhaseLabel phase={invoice.phase} />
            </dd>
            <dt>{t("invoice.pausedLabel")}</dt>
            <dd>
              {invoice.paused
                ? t("invoice.pausedBy", { by: labelOf(t, "pausedBy", invoice.paused_by) })
                : t("common.no")}
            </dd>
            {invoice.pdf_url && (
              <>
                <dt>PDF</dt>
                <dd>
                  <a href={invoice.pdf_url} target="_blank" rel="noreferrer">
                    {t("invoice.pdf")}
                  </a>
                </dd>
              </>
            )}
          </dl>
        </section>
        <section className="card" aria-labelledby="planned-heading">
          <h2 id="planned-heading">{t("invoice.planned")}</h2>
          {planned.step_id ? (
            <p>
              {t("invoice.plannedStep", { step: planned.step_id, date: date(planned.planned_on) })}
              {planned.blocked_by && (
                <>
                  {" "}
                  <span className="badge warn">{labelOf(t, "reason", planned.blocked_by)}</span>
                </>
              )}
            </p>
          ) : (
            <p className="muted">{t("invoice.noPlanned")}</p>
          )}
          {invoice.attention.length > 0 && (
            <>
              <h3>{t("dashboard.attention")}</h3>
              <ul className="plain">
                {invoice.attention.map((item) => (
                  <li key={item.reason}>
                    <ReasonLabel reason={item.reason} /> <span className="muted">· {date(item.since)}</span>
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
      </div>
      {invoice.credit_notes.length > 0 && (
        <section className="card" aria-labelledby="credit-heading">
          <h2 id="credit-heading">{t("creditNote.correcting")}</h2>
          <CreditNoteTable creditNotes={invoice.credit_notes} administrationId={administration.id} />
        </section>
      )}
      {administration.may("work") && <InvoiceActions administrationId={administration.id} invoice={invoice} />}
      <section className="card" aria-labelledby="timeline-heading">
        <h2 id="timeline-heading">{t("timeline.title")}</h2>
        <Timeline entries={invoice.timeline} />
      </section>
      {administration.may("message") && invoice.debtor_id && (
        <section className="card">
          <MessageComposer
            heading={t("message.write")}
            administrationId={administration.id}
            debtorId={invoice.debtor_id}
            invoiceIds={[invoice.invoice_id]}
            subject={t("message.defaultSubject", { number: invoice.number })}
          />
        </section>
      )}
    </>
  );
}
