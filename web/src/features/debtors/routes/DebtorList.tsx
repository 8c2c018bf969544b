import { useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";

import { ReasonLabel } from "@/components/Labels";
import { Loading } from "@/components/Loading";
import { MoreButton } from "@/components/MoreButton";
import { useI18n } from "@/i18n";
import { useAdministration } from "@/lib/administration";

import { useDebtors } from "../api/debtors";

export default function DebtorList() {
  const { t, money, number } = useI18n();
  const administration = useAdministration();
  const [search, setSearch] = useSearchParams();
  const q = search.get("q") ?? "";
  const attention = search.get("attention") ?? "";
  const [draft, setDraft] = useState(q);
  const debtors = useDebtors(administration.id, q, attention);
  const items = debtors.data?.pages.flatMap((page) => page.items) ?? [];
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const params = new URLSearchParams(search);
    if (draft) params.set("q", draft);
    else params.delete("q");
    setSearch(params);
  };
  return (
    <>
      <h1>{t("debtors.title")}</h1>
      <form className="card row" role="search" onSubmit={submit}>
        <label>
          {t("debtors.search")}
          <input type="search" value={draft} onChange={(event) => setDraft(event.target.value)} />
        </label>
        <button type="submit">{t("debtors.find")}</button>
        {attention && (
          <span>
            <ReasonLabel reason={attention} />{" "}
            <Link to={`/a/${administration.id}/debtors`}>{t("invoices.clear")}</Link>
          </span>
        )}
      </form>
      <section className="card">
        {debtors.data ? (
          <>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t("debtor.name")}</th>
                  <th scope="col">{t("debtor.number")}</th>
                  <th scope="col" className="num">{t("debtor.openInvoices")}</th>
                  <th scope="col" className="num">{t("invoice.openAmount")}</th>
                  <th scope="col">{t("dashboard.attention")}</th>
                </tr>
              </thead>
              <tbody>
                {items.map((debtor) => (
                  <tr key={debtor.debtor_id}>
                    <td>
                      <Link to={`/a/${administration.id}/debtors/${encodeURIComponent(debtor.debtor_id)}`}>
                        {debtor.name}
                      </Link>
                    </td>
                    <td>{debtor.number}</td>
                    <td className="num">{number(debtor.open_invoices)}</td>
                    <td className="num">
                      {debtor.open_totals.map((total) => money(total.total, total.currency)).join(" + ") || "–"}
                    </td>
                    <td>
                      {debtor.attention.map((reason) => (
                        <span key={reason} className="badge warn">
                          <ReasonLabel reason={reason} />
                        </span>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {items.length === 0 && <p className="muted">{t("debtors.none")}</p>}
            <MoreButton
              hasMore={debtors.hasNextPage}
              loading={debtors.isFetchingNextPage}
              onMore={() => void debtors.fetchNextPage()}
            />
          </>
        ) : (
          <Loading error={debtors.error} />
        )}
      </section>
    </>
  );
}
