import { Link, useParams } from "react-router";

import { ErrorNote } from "@/components/ErrorNote";
import { PhaseLabel, ReasonLabel } from "@/components/Labels";
import { Loading } from "@/components/Loading";
import { MessageComposer } from "@/components/MessageComposer";
import { MessageToggle } from "@/components/MessageText";
import { labelOf, useI18n } from "@/i18n";
import { useAdministration } from "@/lib/administration";

import { useDebtor, useDebtorPause, type DebtorPause } from "../api/debtors";

export default function DebtorPage() {
  const { t, money, date, dateTime } = useI18n();
  const administration = useAdministration();
  const { debtorId = "" } = useParams();
  const found = useDebtor(administration.id, debtorId);
  const pause = useDebtorPause(administration.id, debtorId);
  if (!found.data) return <Loading error={found.error} />;
  const debtor = found.data;
  const base = `/a/${administration.id}`;
  return (
    <>
      <p>
        <Link to={`${base}/debtors`}>{t("debtor.back")}</Link>
      </p>
      <h1>{debtor.name}</h1>
      <div className="columns">
        <section className="card" aria-labelledby="contact-heading">
          <h2 id="contact-heading">{t("debtor.contact")}</h2>
          <dl className="details">
            <dt>{t("debtor.number")}</dt>
            <dd>{debtor.number}</dd>
            <dt>{t("debtor.kind")}</dt>
            <dd>{labelOf(t, "kind", debtor.kind)}</dd>
            <dt>{t("debtor.emails")}</dt>
            <dd>{debtor.emails.length ? debtor.emails.join(", ") : "–"}</dd>
            <dt>{t("debtor.phone")}</dt>
            <dd>{debtor.phone ?? "–"}</dd>
            <dt>{t("debtor.address")}</dt>
            <dd>
              {[...debtor.address_lines, [debtor.postal_code, debtor.city].filter(Boolean).join(" "), debtor.country]
                .filter(Boolean)
                .join(", ") || "–"}
            </dd>
            <dt>{t("debtor.language")}</dt>
            <dd>{debtor.language ?? "–"}</dd>
            <dt>{t("invoice.openAmount")}</dt>
            <dd>{debtor.open_totals.map((total) => money(total.total, total.currency)).join(" + ") || "–"}</dd>
          </dl>
        </section>
        <section className="card stack" aria-labelledby="pause-heading">
          <h2 id="pause-heading">{t("debtor.pause")}</h2>
          <p>{labelOf(t, "pause", debtor.pause)}</p>
          {administration.may("work") && (
            <label>
              {t("debtor.pauseMode")}
              <select
                value={debtor.pause}
                disabled={pause.isPending}
                onChange={(event) => pause.mutate(event.target.value as DebtorPause)}
              >
                <option value="active">{t("pause.active")}</option>
                <option value="reminders_paused">{t("pause.reminders_paused")}</option>
                <option value="fully_paused">{t("pause.fully_paused")}</option>
              </select>
            </label>
          )}
          <ErrorNote error={pause.error} />
          <h3>{t("dashboard.attention")}</h3>
          {debtor.attention_items.length === 0 ? (
            <p className="muted">{t("dashboard.noAttention")}</p>
          ) : (
            <ul className="plain">
              {debtor.attention_items.map((item) => (
                <li key={`${item.reason}-${item.subject_id}`}>
                  <ReasonLabel reason={item.reason} /> <span className="muted">· {date(item.since)}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
      <section className="card" aria-labelledby="open-heading">
        <h2 id="open-heading">{t("debtor.openItems")}</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">{t("invoice.number")}</th>
              <th scope="col">{t("invoice.dueDate")}</th>
              <th scope="col" className="num">{t("invoice.openAmount")}</th>
              <th scope="col">{t("invoice.phase")}</th>
            </tr>
          </thead>
          <tbody>
            {debtor.invoices.map((invoice) => (
              <tr key={invoice.invoice_id}>
                <td>
                  <Link to={`${base}/invoices/${encodeURIComponent(invoice.invoice_id)}`}>{invoice.number}</Link>
                </td>
                <td>{date(invoice.due_date)}</td>
                <td className="num">{money(invoice.open_amount, invoice.currency)}</td>
                <td>
                  <PhaseLabel phase={invoice.phase} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {debtor.invoices.length === 0 && <p className="muted">{t("dashboard.noInvoices")}</p>}
      </section>
      <section className="card" aria-labelledby="messages-heading">
        <h2 id="messages-heading">{t("debtor.messages")}</h2>
        {debtor.messages.length === 0 ? (
          <p className="muted">{t("timeline.empty")}</p>
        ) : (
          <ol className="timeline">
            {debtor.messages.map((message) => (
              <li key={message.message_id}>
                <time className="muted" dateTime={message.created_at}>
                  {dateTime(message.created_at)}
                </time>{" "}
                {message.direction === "inbound" ? t("timeline.received") : t("timeline.sent")}:{" "}
                <strong>{message.subject ?? t("timeline.noSubject")}</strong>{" "}
                <span className="badge">{labelOf(t, "state", message.state)}</span>{" "}
                <MessageToggle administrationId={administration.id} messageId={message.message_id} />
              </li>
            ))}
          </ol>
        )}
      </section>
      {administration.may("message") && (
        <section className="card">
          <MessageComposer heading={t("message.write")} administrationId={administration.id} debtorId={debtor.debtor_id} />
        </section>
      )}
    </>
  );
}
