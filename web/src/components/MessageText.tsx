import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";

import { api, unwrap, type Schemas } from "@/api/client";
import { ErrorNote } from "@/components/ErrorNote";
import { Loading } from "@/components/Loading";
import { useI18n } from "@/i18n";

export type MessageDetail = Schemas["MessageDetail"];
type Attachment = Schemas["AttachmentOut"];

/** One message with its text and attachments, asked for only when someone opens it. */
export function useMessage(administrationId: string, messageId: string, enabled = true) {
  return useQuery({
    queryKey: ["message", administrationId, messageId],
    enabled,
    queryFn: async () =>
      unwrap(
        await api.GET("/api/v1/administrations/{administration_id}/messages/{message_id}", {
          params: { path: { administration_id: administrationId, message_id: messageId } },
        }),
      ),
  });
}

/** An attachment fetched with the session (a plain link would carry no token) and handed to
 * the browser as a download. */
export async function downloadAttachment(administrationId: string, messageId: string, attachment: Attachment) {
  const file = unwrap(
    await api.GET("/api/v1/administrations/{administration_id}/messages/{message_id}/attachments/{attachment_id}", {
      params: {
        path: { administration_id: administrationId, message_id: messageId, attachment_id: attachment.attachment_id },
      },
      parseAs: "blob",
    }),
  ) as unknown as Blob;
  const url = URL.createObjectURL(file);
  const link = document.createElement("a");
  link.href = url;
  link.download = attachment.filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return attachment.filename;
}

function kilobytes(bytes: number): number {
  return Math.max(1, Math.round(bytes / 1024));
}

/** A message's plain text (as text, never as HTML: a debtor's markup stays letters) and its
 * attachments as downloads. */
export function MessageBody({ administrationId, message }: { administrationId: string; message: MessageDetail }) {
  const { t, number } = useI18n();
  const download = useMutation({
    mutationFn: (attachment: Attachment) => downloadAttachment(administrationId, message.message_id, attachment),
  });
  return (
    <>
      <pre className="body">{message.body_text || t("message.noText")}</pre>
      {message.attachments.length > 0 && (
        <ul className="row" aria-label={t("message.attachments")}>
          {message.attachments.map((attachment) => (
            <li key={attachment.attachment_id}>
              <button
                type="button"
                className="secondary"
                disabled={download.isPending}
                aria-label={t("message.downloadOf", { name: attachment.filename })}
                onClick={() => download.mutate(attachment)}
              >
                {attachment.filename}
              </button>{" "}
              <span className="muted">({t("message.kilobytes", { size: number(kilobytes(attachment.size_bytes)) })})</span>
            </li>
          ))}
        </ul>
      )}
      <ErrorNote error={download.error} />
    </>
  );
}

/** A timeline's message entry that can be opened to read its text. */
export function MessageToggle({ administrationId, messageId }: { administrationId: string; messageId: string }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const message = useMessage(administrationId, messageId, open);
  return (
    <>
      <button type="button" className="secondary" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? t("message.hideText") : t("message.showText")}
      </button>
      {open &&
        (message.data ? (
          <MessageBody administrationId={administrationId} message={message.data} />
        ) : (
          <Loading error={message.error} />
        ))}
    </>
  );
}
