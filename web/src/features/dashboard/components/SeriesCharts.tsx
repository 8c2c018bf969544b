// The dashboard's charts: the open amount, DSO and aging per month over the last 18 months,
// per currency. Loaded lazily with uPlot, so the first load does not carry the chart library.
// Each chart is a canvas with a one-sentence summary for assistive technology, and the same
// figures as a table beside it.
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

import type { components } from "@/api/schema";
import { labelOf, useI18n } from "@/i18n";

type Series = components["schemas"]["CurrencySeries"];
type Point = components["schemas"]["MonthPoint"];

const BUCKETS = ["not_due", "1-30", "31-60", "61-90", ">90"] as const;
const BUCKET_COLOURS = ["#4c9f70", "#e0b23c", "#e07b39", "#c8553d", "#7b2d26"];
const HEIGHT = 220;

/** A number for the chart from a decimal string; null stays a gap in the line. */
function amount(value: string | null | undefined): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function bucketTotal(point: Point, bucket: string): number | null {
  if (point.open === null || point.open === undefined) return null;
  const found = point.aging.find((entry) => entry.bucket === bucket);
  return found ? Number(found.total) : 0;
}

type ChartLine = { label: string; values: (number | null)[]; colour: string };

function Chart({
  labels,
  lines,
  axis,
  summary,
}: {
  labels: string[];
  lines: ChartLine[];
  axis: (value: number) => string;
  summary: string;
}) {
  const holder = useRef<HTMLDivElement>(null);
  // Drawn again only when what it shows changes (the labels follow the language), not on
  // every render of the dashboard.
  const latest = useRef({ labels, lines, axis });
  latest.current = { labels, lines, axis };
  const shown = JSON.stringify([labels, lines]);
  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const { labels, lines, axis } = latest.current;
    const x = labels.map((_, index) => index);
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 280),
      height: HEIGHT,
      scales: { x: { time: false } },
      legend: { show: lines.length > 1 },
      cursor: { drag: { x: false, y: false } },
      axes: [
        {
          values: (_u, splits) => splits.map((split) => labels[split] ?? ""),
          space: 60,
        },
        { values: (_u, splits) => splits.map(axis), size: 80 },
      ],
      series: [
        {},
        ...lines.map((line) => ({
          label: line.label,
          stroke: line.colour,
          width: 2,
          points: { show: true, size: 5 },
          value: (_u: uPlot, value: number | null) => (value === null ? "–" : axis(value)),
        })),
      ],
    };
    const chart = new uPlot(options, [x, ...lines.map((line) => line.values)], element);
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(element.clientWidth, 280), height: HEIGHT }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [shown]);
  // The canvas is a picture: its summary names it, the table beside it holds the figures.
  return <div ref={holder} className="chart" role="img" aria-label={summary} />;
}

function CurrencyCharts({ series }: { series: Series }) {
  const { t, money, compactMoney, number, percent, month } = useI18n();
  const points = series.months;
  const currency = series.currency;
  const labels = points.map((point) => month(point.month));
  const first = labels[0] ?? "";
  const last = labels[labels.length - 1] ?? "";
  const now = points[points.length - 1];
  const monthLabel = (point: Point) =>
    point.complete ? month(point.month) : t("charts.running", { month: month(point.month) });
  const money$ = (value: number) => compactMoney(value, currency);
  const days = (value: number) => number(Math.round(value * 10) / 10);
  const overdueShare = (point: Point) => {
    const open = amount(point.open);
    const notDue = bucketTotal(point, "not_due");
    if (!open || notDue === null) return "–";
    return percent((open - notDue) / open);
  };
  const unknown = t("charts.unknown");
  return (
    <div className="charts">
      <figure className="card">
        <figcaption>
          <h3>
            {t("charts.open")} <span className="muted">{t("charts.currency", { currency })}</span>
          </h3>
        </figcaption>
        <Chart
          labels={labels}
          axis={money$}
          summary={t("charts.openSummary", { first, last, value: money(now?.open, currency) })}
          lines={[
            { label: t("charts.open"), values: points.map((p) => amount(p.open)), colour: "#2f5d8a" },
          ]}
        />
        <details>
          <summary>{t("charts.asTable")}</summary>
          <table>
            <thead>
              <tr>
                <th scope="col">{t("charts.month")}</th>
                <th scope="col" className="num">{t("charts.invoiced")}</th>
                <th scope="col" className="num">{t("dashboard.open")}</th>
                <th scope="col" className="num">{t("charts.overdueShare")}</th>
              </tr>
            </thead>
            <tbody>
              {points.map((point) => (
                <tr key={point.month}>
                  <th scope="row">{monthLabel(point)}</th>
                  <td className="num">{money(point.invoiced, currency)}</td>
                  <td className="num">{point.open == null ? unknown : money(point.open, currency)}</td>
                  <td className="num">{overdueShare(point)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </figure>
      <figure className="card">
        <figcaption>
          <h3>
            {t("charts.dso")} <span className="muted">{t("charts.currency", { currency })}</span>
          </h3>
          <p className="muted">{t("charts.dsoDefinition")}</p>
        </figcaption>
        <Chart
          labels={labels}
          axis={days}
          summary={t("charts.dsoSummary", {
            first,
            last,
            value: now?.dso == null ? unknown : days(Number(now.dso)),
          })}
          lines={[{ label: "DSO", values: points.map((p) => amount(p.dso)), colour: "#8a2f6d" }]}
        />
        <details>
          <summary>{t("charts.asTable")}</summary>
          <table>
            <thead>
              <tr>
                <th scope="col">{t("charts.month")}</th>
                <th scope="col" className="num">DSO ({t("charts.days")})</th>
              </tr>
            </thead>
            <tbody>
              {points.map((point) => (
                <tr key={point.month}>
                  <th scope="row">{monthLabel(point)}</th>
                  <td className="num">{point.dso == null ? "–" : days(Number(point.dso))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </figure>
      <figure className="card">
        <figcaption>
          <h3>
            {t("charts.aging")} <span className="muted">{t("charts.currency", { currency })}</span>
          </h3>
        </figcaption>
        <Chart
          labels={labels}
          axis={money$}
          summary={t("charts.agingSummary", { first, last })}
          lines={BUCKETS.map((bucket, index) => ({
            label: labelOf(t, "aging", bucket),
            values: points.map((point) => bucketTotal(point, bucket)),
            colour: BUCKET_COLOURS[index] ?? "#333",
          }))}
        />
        <details>
          <summary>{t("charts.asTable")}</summary>
          <table>
            <thead>
              <tr>
                <th scope="col">{t("charts.month")}</th>
                {BUCKETS.map((bucket) => (
                  <th key={bucket} scope="col" className="num">
                    {labelOf(t, "aging", bucket)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {points.map((point) => (
                <tr key={point.month}>
                  <th scope="row">{monthLabel(point)}</th>
                  {BUCKETS.map((bucket) => {
                    const total = bucketTotal(point, bucket);
                    return (
                      <td key={bucket} className="num">
                        {total === null ? "–" : money(total, currency)}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </figure>
    </div>
  );
}

export default function SeriesCharts({ series }: { series: Series[] }) {
  const { t } = useI18n();
  if (series.length === 0) return <p className="muted">{t("charts.empty")}</p>;
  return (
    <>
      {series.map((entry) => (
        <CurrencyCharts key={entry.currency} series={entry} />
      ))}
    </>
  );
}
