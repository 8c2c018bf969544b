import { LOCALES, useI18n, type Locale } from "@/i18n";

export function LocaleSwitch() {
  const { locale, setLocale, t } = useI18n();
  return (
    <label className="inline">
      {t("locale.label")}
      <select value={locale} onChange={(event) => setLocale(event.target.value as Locale)}>
        {LOCALES.map((code) => (
          <option key={code} value={code}>
            {t(`locale.${code}`)}
          </option>
        ))}
      </select>
    </label>
  );
}
