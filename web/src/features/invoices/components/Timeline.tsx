import { PhaseLabel } from "@/components/Labels";
import { MessageToggle } from "@/components/MessageText";
import { labelOf, useI18n } from "@/i18n";
import { useAdministration } from "@/lib/administration";

import type { InvoiceDetail } from "../api/invoices";

type Entry = InvoiceDetail["timeline"][number];

/** What happened to an invoice, newest first: executed steps and the messages, each of which
 * opens to its text. */
export function Timeline({ entries }: { entries: Entry[] }) {
  const { t, date, dateTime } = useI18n();
  const administration = useAdministration();
  if (entries.length === 0) return <p className="muted">{t("timeline.empty")}</p>;
  return (
    <ol className="timeline">
      {entries.map((entry, index) => {
        const channels = entry.channels ?? [];
        return (
          <li key={`${entry.kind}-${entry.step_id ?? entry.message_id ?? index}`}>
            <div className="row">
              <time dateTime={entry.at} className="muted">
                {entry.executed_on ? date(entry.executed_on) : dateTime(entry.at)}
              </time>
              {entry.kind === "step" ? (
                <span>
                  {t("timeline.step")} <PhaseLabel phase={entry.phase} />
                  {channels.length > 0 && ` · ${channels.join(", ")}`}
                  {entry.reason && ` · ${labelOf(t, "execution", entry.reason)}`}
                </span>
              ) : (
                <span>
                  {entry.direction === "inbound" ? t("timeline.received") : t("timeline.sent")}
                  {channels.length > 0 && ` (${channels.join(", ")})`}:{" "}
                  <strong>{entry.subject ?? t("timeline.noSubject")}</strong>
                  {entry.read === false && <span className="badge unread">{t("inbox.unread")}</span>}
                </span>
              )}
              {entry.state && entry.state !== "executed" && (
                <span className={`badge ${entry.state === "failed" || entry.state === "bounced" ? "warn" : ""}`}>
                  {labelOf(t, "state", entry.state)}
                </span>
              )}
            </div>
            {entry.detail && <p className="error">{entry.detail}</p>}
            {entry.kind === "message" && entry.message_id && (
              <MessageToggle administrationId={administration.id} messageId={entry.message_id} />
            )}
          </li>
        );
      })}
    </ol>
  );
}
