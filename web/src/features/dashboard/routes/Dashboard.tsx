import { lazy, Suspense } from "react";
import { Link } from "react-router";

import { ReasonLabel, PhaseLabel } from "@/components/Labels";
import { Loading } from "@/components/Loading";
import { labelOf, useI18n } from "@/i18n";
import { useAdministration } from "@/lib/administration";

import { useDashboard, useDashboardSeries } from "../api/dashboard";

// The charts and their library load after the first screen (see docs/web.md).
const SeriesCharts = lazy(() => import("../components/SeriesCharts"));

export function Dashboard() {
  const { t, money, number, date } = useI18n();
  const administration = useAdministration();
  const board = useDashboard(administration.id);
  const series = useDashboardSeries(administration.id);
  if (!board.data) return <Loading error={board.error} />;
  const { phases, attention, open, overdue, aging, pause, business_date } = board.data;
  const invoices = `/a/${administration.id}/invoices`;
  return (
    <>
      <h1>{t("dashboard.title")}</h1>
      <p className="muted">
        {t("dashboard.asOf", { date: date(business_date) })}
        {pause !== "active" && (
          <strong className="badge warn"> {labelOf(t, "pause", pause)}</strong>
        )}
      </p>
      <div className="tiles">
        {open.map((total) => (
          <section key={`open-${total.currency}`} className="card tile" aria-label={t("dashboard.open")}>
            <h2>{t("dashboard.open")}</h2>
            <p className="figure">{money(total.total, total.currency)}</p>
            <p className="muted">{t("dashboard.invoices", { count: number(total.count) })}</p>
          </section>
        ))}
        {overdue.map((total) => (
          <section key={`overdue-${total.currency}`} className="card tile" aria-label={t("dashboard.overdue")}>
            <h2>{t("dashboard.overdue")}</h2>
            <p className="figure">{money(total.total, total.currency)}</p>
            <p className="muted">
              <Link to={`${invoices}?overdue=true`}>
                {t("dashboard.invoices", { count: number(total.count) })}
              </Link>
            </p>
          </section>
        ))}
      </div>
      <div className="columns">
        <section className="card">
          <h2>{t("dashboard.phases")}</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">{t("invoice.phase")}</th>
                <th scope="col" className="num">{t("common.count")}</th>
                <th scope="col" className="num">{t("common.total")}</th>
              </tr>
            </thead>
            <tbody>
              {phases.map((row) => (
                <tr key={`${row.phase}-${row.currency}`}>
                  <td>
                    <Link to={`${invoices}?phase=${encodeURIComponent(row.phase)}`}>
                      <PhaseLabel phase={row.phase} />
                    </Link>
                  </td>
                  <td className="num">{number(row.count)}</td>
                  <td className="num">{money(row.total, row.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {phases.length === 0 && <p className="muted">{t("dashboard.noInvoices")}</p>}
        </section>
        <section className="card">
          <h2>{t("dashboard.attention")}</h2>
          {attention.length === 0 ? (
            <p className="muted">{t("dashboard.noAttention")}</p>
          ) : (
            <ul className="plain">
              {attention.map((item) => (
                <li key={`${item.reason}-${item.subject_type}`}>
                  <Link
                    to={
                      item.subject_type === "debtor"
                        ? `/a/${administration.id}/debtors?attention=${item.reason}`
                        : `${invoices}?attention=${encodeURIComponent(item.reason)}`
                    }
                  >
                    <ReasonLabel reason={item.reason} />
                  </Link>{" "}
                  <span className="badge">{number(item.count)}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section className="card">
          <h2>{t("dashboard.aging")}</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">{t("dashboard.bucket")}</th>
                <th scope="col" className="num">{t("common.count")}</th>
                <th scope="col" className="num">{t("common.total")}</th>
              </tr>
            </thead>
            <tbody>
              {aging.map((row) => (
                <tr key={`${row.bucket}-${row.currency}`}>
                  <td>{labelOf(t, "aging", row.bucket)}</td>
                  <td className="num">{number(row.count)}</td>
                  <td className="num">{money(row.total, row.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
      <section aria-labelledby="charts-title">
        <h2 id="charts-title">{t("charts.title")}</h2>
        {series.data ? (
          <Suspense fallback={<Loading />}>
            <SeriesCharts series={series.data.series} />
          </Suspense>
        ) : (
          <Loading error={series.error} />
        )}
      </section>
    </>
  );
}
