import { ApiError } from "@/api/client";
import { useI18n } from "@/i18n";

/** The gateway's sentence for a refused request, read out by screen readers. */
export function ErrorNote({ error }: { error: unknown }) {
  const { t } = useI18n();
  if (!error) return null;
  let text = t("error.network");
  if (error instanceof ApiError) {
    if (error.status === 403) text = t("error.forbidden");
    else if (error.status === 401) text = t("error.unauthorised");
    else text = error.message;
  }
  return (
    <p className="error" role="alert">
      {text}
    </p>
  );
}
