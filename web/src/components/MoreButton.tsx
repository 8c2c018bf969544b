import { useI18n } from "@/i18n";

/** Keyset paging: the next page is asked for with the cursor the last one ended with. */
export function MoreButton(props: { hasMore: boolean; loading: boolean; onMore: () => void }) {
  const { t } = useI18n();
  if (!props.hasMore) return null;
  return (
    <button type="button" className="secondary" disabled={props.loading} onClick={props.onMore}>
      {t("common.more")}
    </button>
  );
}
