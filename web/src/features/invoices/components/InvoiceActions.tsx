import { useState } from "react";

import { ErrorNote } from "@/components/ErrorNote";
import { Notice } from "@/components/Notice";
import { useI18n } from "@/i18n";

import { useInvoiceCommand, type InvoiceCommand, type InvoiceDetail } from "../api/invoices";

/** Step control of one invoice, for the roles that may do it. */
export function InvoiceActions(props: { administrationId: string; invoice: InvoiceDetail }) {
  const { t } = useI18n();
  const { invoice } = props;
  const command = useInvoiceCommand(props.administrationId, invoice.invoice_id);
  const [to, setTo] = useState("");
  const [done, setDone] = useState<string | null>(null);
  // Dunning answers a pause or resume at once; the read model follows moments later.
  const [held, setHeld] = useState<boolean | null>(null);
  const onHold = held ?? invoice.on_hold;
  const run = (next: InvoiceCommand, confirmation: string) => {
    setDone(null);
    command.mutate(next, {
      onSuccess: () => {
        setDone(confirmation);
        if (next.kind === "pause" || next.kind === "resume") setHeld(next.kind === "pause");
      },
    });
  };
  const hasStep = invoice.planned.step_id !== null;
  return (
    <section className="card stack" aria-labelledby="actions-heading">
      <h2 id="actions-heading">{t("actions.title")}</h2>
      <div className="row">
        {onHold ? (
          <button type="button" disabled={command.isPending} onClick={() => run({ kind: "resume" }, t("actions.resumed"))}>
            {t("actions.resume")}
          </button>
        ) : (
          <button type="button" disabled={command.isPending} onClick={() => run({ kind: "pause" }, t("actions.paused"))}>
            {t("actions.pause")}
          </button>
        )}
        <button
          type="button"
          className="secondary"
          disabled={command.isPending || !hasStep}
          onClick={() => run({ kind: "perform-now" }, t("actions.performed"))}
        >
          {t("actions.performNow")}
        </button>
        <button
          type="button"
          className="secondary"
          disabled={command.isPending || !hasStep}
          onClick={() => run({ kind: "skip" }, t("actions.skipped"))}
        >
          {t("actions.skip")}
        </button>
        <button
          type="button"
          className="danger"
          disabled={command.isPending}
          onClick={() => {
            if (window.confirm(t("actions.resetConfirm"))) run({ kind: "reset" }, t("actions.reset.done"));
          }}
        >
          {t("actions.reset")}
        </button>
      </div>
      <form
        className="row"
        onSubmit={(event) => {
          event.preventDefault();
          run({ kind: "reschedule", to }, t("actions.rescheduled"));
        }}
      >
        <label>
          {t("actions.rescheduleTo")}
          <input type="date" required value={to} onChange={(event) => setTo(event.target.value)} />
        </label>
        <button type="submit" className="secondary" disabled={command.isPending || !hasStep}>
          {t("actions.reschedule")}
        </button>
      </form>
      <ErrorNote error={command.error} />
      <Notice text={done} />
    </section>
  );
}
