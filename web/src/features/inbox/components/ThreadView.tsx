import { useState } from "react";
import { Link } from "react-router";

import { ErrorNote } from "@/components/ErrorNote";
import { Loading } from "@/components/Loading";
import { MessageComposer } from "@/components/MessageComposer";
import { MessageBody } from "@/components/MessageText";
import { labelOf, useI18n } from "@/i18n";
import { useAdministration } from "@/lib/administration";

import { useMarkRead, useThread, type Thread } from "../api/inbox";

/** One conversation with a debtor: its messages, read state and a reply; opened, each
 * message's text and attachments. */
export function ThreadView({ thread }: { thread: Thread }) {
  const { t, dateTime } = useI18n();
  const administration = useAdministration();
  const mark = useMarkRead(administration.id);
  const [open, setOpen] = useState(false);
  const full = useThread(administration.id, thread.threadId, open);
  const details = new Map((full.data?.messages ?? []).map((detail) => [detail.message_id, detail]));
  const first = thread.messages[0];
  const subject = first?.subject ?? "";
  return (
    <article className="card" aria-label={t("inbox.threadWith", { name: thread.debtorName })}>
      <h2>
        {subject || t("timeline.noSubject")}{" "}
        <span className="muted">
          · <Link to={`/a/${administration.id}/debtors/${encodeURIComponent(thread.debtorId)}`}>{thread.debtorName}</Link>
        </span>
      </h2>
      <ol className="timeline">
        {thread.messages.map((message) => {
          const detail = details.get(message.message_id);
          const inbound = message.direction === "inbound";
          return (
            <li key={message.message_id}>
              <div className="row">
                <time className="muted" dateTime={message.created_at}>
                  {dateTime(message.created_at)}
                </time>
                <span>
                  {inbound ? t("timeline.received") : t("timeline.sent")}: <strong>{message.subject ?? ""}</strong>
                </span>
                {inbound && !message.read && <span className="badge unread">{t("inbox.unread")}</span>}
                {!inbound && <span className="badge">{labelOf(t, "state", message.state)}</span>}
                {inbound && administration.may("message") && (
                  <button
                    type="button"
                    className="secondary"
                    disabled={mark.isPending}
                    onClick={() => mark.mutate({ messageId: message.message_id, read: !message.read })}
                  >
                    {message.read ? t("inbox.markUnread") : t("inbox.markRead")}
                  </button>
                )}
              </div>
              {open && detail && <MessageBody administrationId={administration.id} message={detail} />}
            </li>
          );
        })}
      </ol>
      <button type="button" className="secondary" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? t("inbox.closeThread") : t("inbox.openThread")}
      </button>
      {open && !full.data && <Loading error={full.error} />}
      <ErrorNote error={mark.error} />
      {administration.may("message") && (
        <MessageComposer
          heading={t("inbox.reply")}
          administrationId={administration.id}
          debtorId={thread.debtorId}
          threadId={thread.threadId}
          invoiceIds={first?.invoice_ids ?? []}
          subject={subject.startsWith("Re:") ? subject : `Re: ${subject}`}
        />
      )}
    </article>
  );
}
