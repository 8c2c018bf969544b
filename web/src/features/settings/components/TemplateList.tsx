import { Link } from "react-router";

import { Loading } from "@/components/Loading";
import { labelOf, useI18n } from "@/i18n";

import { useTemplates } from "../api/settings";

/** Every template with the languages it exists in, the administration's own marked. */
export function TemplateList({ administrationId }: { administrationId: string }) {
  const { t } = useI18n();
  const templates = useTemplates(administrationId);
  if (!templates.data) return <Loading error={templates.error} />;
  const keys = [...new Set(templates.data.map((version) => version.template_key))];
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">{t("flow.template")}</th>
          <th scope="col">{t("template.languages")}</th>
          <th scope="col">
            <span className="muted">{t("imports.detail")}</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {keys.map((key) => (
          <tr key={key}>
            <td>{labelOf(t, "template", key)}</td>
            <td>
              {templates.data
                .filter((version) => version.template_key === key)
                .map(
                  (version) =>
                    labelOf(t, "language", version.language) + (version.customised ? ` (${t("template.customised")})` : ""),
                )
                .join(", ")}
            </td>
            <td>
              <Link to={`templates/${key}`} aria-label={t("template.editOne", { name: labelOf(t, "template", key) })}>
                {t("template.edit")}
              </Link>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
