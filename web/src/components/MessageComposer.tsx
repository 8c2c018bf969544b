import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";

import { api, unwrap } from "@/api/client";
import { useI18n } from "@/i18n";

import { ErrorNote } from "./ErrorNote";
import { Notice } from "./Notice";

type Props = {
  administrationId: string;
  debtorId: string;
  invoiceIds?: string[];
  threadId?: string | null;
  subject?: string;
  heading: string;
};

/** Writing to a debtor (a new message, or a reply in a thread); messaging sends it. */
export function MessageComposer(props: Props) {
  const { t } = useI18n();
  const queries = useQueryClient();
  const headingId = useId();
  const [subject, setSubject] = useState(props.subject ?? "");
  const [body, setBody] = useState("");
  const [sent, setSent] = useState<string | null>(null);
  const send = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST("/api/v1/administrations/{administration_id}/messages", {
          params: { path: { administration_id: props.administrationId } },
          body: {
            debtor_id: props.debtorId,
            subject,
            body,
            invoice_ids: props.invoiceIds ?? [],
            thread_id: props.threadId ?? null,
            tone: "formal",
          },
        }),
      ),
    onSuccess: () => {
      setBody("");
      setSent(t("message.sent"));
      void queries.invalidateQueries({ queryKey: ["inbox", props.administrationId] });
      void queries.invalidateQueries({ queryKey: ["invoice", props.administrationId] });
      void queries.invalidateQueries({ queryKey: ["debtor", props.administrationId] });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSent(null);
    send.mutate();
  };
  return (
    <form className="stack" onSubmit={submit} aria-labelledby={headingId}>
      <h3 id={headingId}>{props.heading}</h3>
      <label>
        {t("message.subject")}
        <input required maxLength={250} value={subject} onChange={(e) => setSubject(e.target.value)} />
      </label>
      <label>
        {t("message.body")}
        <textarea required maxLength={20000} value={body} onChange={(e) => setBody(e.target.value)} />
      </label>
      <ErrorNote error={send.error} />
      <Notice text={sent} />
      <div className="row">
        <button type="submit" disabled={send.isPending}>
          {t("message.send")}
        </button>
      </div>
    </form>
  );
}
