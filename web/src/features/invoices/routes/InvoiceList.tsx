import { useSearchParams } from "react-router";

import { Loading } from "@/components/Loading";
import { MoreButton } from "@/components/MoreButton";
import { useI18n } from "@/i18n";
import { useAdministration } from "@/lib/administration";

import { FILTERS, useCreditNotes, useInvoices, type Filters } from "../api/invoices";
import { CreditNoteTable } from "../components/CreditNoteTable";
import { InvoiceFilters } from "../components/InvoiceFilters";
import { InvoiceTable } from "../components/InvoiceTable";

export default function InvoiceList() {
  const { t } = useI18n();
  const administration = useAdministration();
  const [search, setSearch] = useSearchParams();
  const filters: Filters = {};
  for (const name of FILTERS) {
    const value = search.get(name);
    if (value) filters[name] = value;
  }
  const invoices = useInvoices(administration.id, filters);
  const apply = (next: Filters) => {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(next)) if (value) params.set(name, value);
    setSearch(params);
  };
  const items = invoices.data?.pages.flatMap((page) => page.items) ?? [];
  const creditNotes = useCreditNotes(administration.id, filters.status);
  const notes = creditNotes.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <>
      <h1>{t("invoices.title")}</h1>
      <InvoiceFilters key={search.toString()} filters={filters} onApply={apply} />
      <section className="card" aria-busy={invoices.isFetching}>
        {invoices.data ? (
          <>
            <InvoiceTable invoices={items} administrationId={administration.id} />
            {items.length === 0 && <p className="muted">{t("invoices.none")}</p>}
            <MoreButton
              hasMore={invoices.hasNextPage}
              loading={invoices.isFetchingNextPage}
              onMore={() => void invoices.fetchNextPage()}
            />
          </>
        ) : (
          <Loading error={invoices.error} />
        )}
      </section>
      <section className="card" aria-labelledby="credit-notes-heading">
        <h2 id="credit-notes-heading">{t("creditNote.title")}</h2>
        {creditNotes.data ? (
          <>
            <CreditNoteTable creditNotes={notes} administrationId={administration.id} />
            {notes.length === 0 && <p className="muted">{t("creditNote.none")}</p>}
            <MoreButton
              hasMore={creditNotes.hasNextPage}
              loading={creditNotes.isFetchingNextPage}
              onMore={() => void creditNotes.fetchNextPage()}
            />
          </>
        ) : (
          <Loading error={creditNotes.error} />
        )}
      </section>
    </>
  );
}
