// The app speaks Dutch and English; the choice is remembered in localStorage. Amounts, dates
// and percentages are formatted by Intl for the chosen locale.
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import type { ReactNode } from "react";

import { en, type MessageKey } from "./en";
import { nl } from "./nl";

export type Locale = "nl" | "en";
export const LOCALES: Locale[] = ["nl", "en"];
const LOCALE_KEY = "settle.locale";
const CATALOGUES = { nl, en };
const INTL_LOCALE: Record<Locale, string> = { nl: "nl-NL", en: "en-GB" };

function initialLocale(): Locale {
  const stored = localStorage.getItem(LOCALE_KEY);
  if (stored === "nl" || stored === "en") return stored;
  return navigator.language.toLowerCase().startsWith("en") ? "en" : "nl";
}

export type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;

type Format = {
  money: (amount: string | number | null | undefined, currency?: string | null) => string;
  number: (value: number) => string;
  /** Short amounts for a chart's axis: "€ 12K", "€ 1,2 mln." */
  compactMoney: (amount: number, currency: string) => string;
  percent: (fraction: number) => string;
  date: (isoDate: string | null | undefined) => string;
  dateTime: (isoTime: string | null | undefined) => string;
  month: (isoDate: string) => string;
};

type I18n = { locale: Locale; setLocale: (locale: Locale) => void; t: Translate } & Format;

const I18nContext = createContext<I18n | null>(null);

function formats(locale: Locale): Format {
  const tag = INTL_LOCALE[locale];
  const moneyFormats = new Map<string, Intl.NumberFormat>();
  const numbers = new Intl.NumberFormat(tag);
  const percents = new Intl.NumberFormat(tag, { style: "percent", maximumFractionDigits: 1 });
  // Business dates are calendar days: formatted in UTC so no zone moves them a day.
  const dates = new Intl.DateTimeFormat(tag, { dateStyle: "medium", timeZone: "UTC" });
  const months = new Intl.DateTimeFormat(tag, { month: "short", year: "numeric", timeZone: "UTC" });
  // dateStyle cannot be combined with timeZoneName: the parts are named one by one.
  const times = new Intl.DateTimeFormat(tag, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZoneName: "short",
  });
  return {
    money(amount, currency) {
      if (amount === null || amount === undefined || amount === "") return "–";
      const code = currency || "EUR";
      let format = moneyFormats.get(code);
      if (!format) {
        format = new Intl.NumberFormat(tag, { style: "currency", currency: code });
        moneyFormats.set(code, format);
      }
      // Amounts arrive as decimal strings; formatting goes through a number only for display.
      return format.format(Number(amount));
    },
    number: (value) => numbers.format(value),
    compactMoney: (amount, currency) =>
      new Intl.NumberFormat(tag, {
        style: "currency",
        currency,
        notation: "compact",
        maximumFractionDigits: 1,
      }).format(amount),
    percent: (fraction) => percents.format(fraction),
    date: (isoDate) => (isoDate ? dates.format(new Date(`${isoDate.slice(0, 10)}T00:00:00Z`)) : "–"),
    dateTime: (isoTime) => (isoTime ? times.format(new Date(isoTime)) : "–"),
    month: (isoDate) => months.format(new Date(`${isoDate.slice(0, 10)}T00:00:00Z`)),
  };
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  const setLocale = useCallback((next: Locale) => {
    localStorage.setItem(LOCALE_KEY, next);
    setLocaleState(next);
  }, []);
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  const value = useMemo<I18n>(() => {
    const catalogue = CATALOGUES[locale];
    const t: Translate = (key, values) => {
      let text: string = catalogue[key] ?? en[key] ?? key;
      if (values)
        for (const [name, replacement] of Object.entries(values))
          text = text.replaceAll(`{${name}}`, String(replacement));
      return text;
    };
    return { locale, setLocale, t, ...formats(locale) };
  }, [locale, setLocale]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const context = useContext(I18nContext);
  if (!context) throw new Error("useI18n outside I18nProvider");
  return context;
}

/** A label for a code (a phase, a reason) when the catalogue has one, else the code made readable. */
export function labelOf(t: Translate, prefix: string, code: string | null | undefined): string {
  if (!code) return "–";
  const key = `${prefix}.${code}` as MessageKey;
  const text = t(key);
  if (text !== key) return text;
  const reminder = /^reminder_(\d+)$/.exec(code);
  if (prefix === "phase" && reminder) return t("phase.reminder_n", { n: reminder[1] ?? "" });
  return code.replaceAll("_", " ");
}
