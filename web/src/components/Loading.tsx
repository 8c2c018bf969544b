import { useI18n } from "@/i18n";

import { ErrorNote } from "./ErrorNote";

/** What a screen shows while its data comes, or why it did not. */
export function Loading({ error }: { error?: unknown }) {
  const { t } = useI18n();
  if (error) return <ErrorNote error={error} />;
  return (
    <p className="muted" role="status">
      {t("common.loading")}
    </p>
  );
}
