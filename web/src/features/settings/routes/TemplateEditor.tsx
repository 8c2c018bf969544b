import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useParams } from "react-router";

import { ErrorNote } from "@/components/ErrorNote";
import { Loading } from "@/components/Loading";
import { Notice } from "@/components/Notice";
import { labelOf, useI18n } from "@/i18n";
import { useAdministration } from "@/lib/administration";

import { useSaveTemplate, useTemplate, useTemplatePreviews, useTemplates } from "../api/settings";

/** A template's text in one language, edited and saved as the administration's own, beside
 * the template rendered with sample data in every language it exists in. */
export default function TemplateEditor() {
  const { t, locale } = useI18n();
  const administration = useAdministration();
  const { templateKey = "" } = useParams();
  const templates = useTemplates(administration.id);
  const versions = (templates.data ?? []).filter((version) => version.template_key === templateKey);
  const [language, setLanguage] = useState<string | null>(null);
  // The user's own language first, where the template exists in it.
  const chosen = language ?? (versions.find((v) => v.language === locale) ?? versions[0])?.language ?? null;
  const [channel, setChannel] = useState<"email" | "letter">("email");
  const previews = useTemplatePreviews(administration.id, templateKey, channel);
  const name = labelOf(t, "template", templateKey);
  if (!templates.data) return <Loading error={templates.error} />;
  return (
    <>
      <p>
        <Link to={`/a/${administration.id}/settings`}>{t("settings.back")}</Link>
      </p>
      <h1>{t("template.title", { name })}</h1>
      <div className="columns">
        <section className="card stack" aria-labelledby="template-text-heading">
          <h2 id="template-text-heading">{t("template.text")}</h2>
          <label>
            {t("template.language")}
            <select value={chosen ?? ""} onChange={(e) => setLanguage(e.target.value)}>
              {versions.map((version) => (
                <option key={version.language} value={version.language}>
                  {labelOf(t, "language", version.language)}
                  {version.customised ? ` (${t("template.customised")})` : ""}
                </option>
              ))}
            </select>
          </label>
          {chosen && (
            <TemplateText
              key={chosen}
              administrationId={administration.id}
              templateKey={templateKey}
              language={chosen}
              customised={versions.find((v) => v.language === chosen)?.customised ?? false}
              builtin={versions.find((v) => v.language === chosen)?.builtin ?? true}
            />
          )}
        </section>
        <section className="card stack" aria-labelledby="template-preview-heading">
          <h2 id="template-preview-heading">{t("template.previews")}</h2>
          <label>
            {t("template.channel")}
            <select value={channel} onChange={(e) => setChannel(e.target.value as "email" | "letter")}>
              <option value="email">{labelOf(t, "channel", "email")}</option>
              <option value="letter">{labelOf(t, "channel", "letter")}</option>
            </select>
          </label>
          {previews.data ? (
            previews.data.map((preview) => (
              <article key={preview.language} aria-label={t("template.previewIn", { language: labelOf(t, "language", preview.language) })}>
                <h3>
                  {labelOf(t, "language", preview.language)}
                  {preview.from_override && <span className="badge"> {t("template.customised")}</span>}
                </h3>
                <p>
                  <strong>{preview.subject}</strong>
                </p>
                <PreviewFrame
                  html={preview.html}
                  title={t("template.previewIn", { language: labelOf(t, "language", preview.language) })}
                />
              </article>
            ))
          ) : (
            <Loading error={previews.error} />
          )}
        </section>
      </div>
    </>
  );
}

/** A rendered message as the debtor sees it. The HTML is the administration's own: the frame
 * runs no scripts, and it is inert (a picture of the message: its links are not followed and
 * the keyboard does not wander into it), as tall as its content. */
function PreviewFrame({ html, title }: { html: string; title: string }) {
  const frame = useRef<HTMLIFrameElement>(null);
  const [height, setHeight] = useState(320);
  return (
    <iframe
      ref={frame}
      className="preview"
      sandbox="allow-same-origin"
      inert
      title={title}
      srcDoc={html}
      style={{ height }}
      onLoad={() => {
        const page = frame.current?.contentDocument?.documentElement;
        if (page) setHeight(page.scrollHeight + 4);
      }}
    />
  );
}

type TextProps = {
  administrationId: string;
  templateKey: string;
  language: string;
  customised: boolean;
  builtin: boolean;
};

function TemplateText({ administrationId, templateKey, language, customised, builtin }: TextProps) {
  const { t } = useI18n();
  const administration = useAdministration();
  const stored = useTemplate(administrationId, templateKey, language);
  const { save, reset } = useSaveTemplate(administrationId);
  const [subject, setSubject] = useState<string | null>(null);
  const [text, setText] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  useEffect(() => {
    if (stored.data) {
      setSubject(stored.data.subject);
      setText(stored.data.text);
    }
  }, [stored.data]);
  if (!stored.data || subject === null || text === null) return <Loading error={stored.error} />;
  const path = { administration_id: administrationId, template_key: templateKey, language };
  const editable = administration.may("settings");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setDone(null);
    // The HTML part is made from the text in the standard layout (the help says so).
    save.mutate(
      { path, body: { subject, text, html: null } },
      { onSuccess: () => setDone(t("template.saved")) },
    );
  };
  return (
    <form className="stack" onSubmit={submit} aria-label={t("template.text")}>
      <label>
        {t("template.subject")}
        <input required maxLength={2000} readOnly={!editable} value={subject} onChange={(e) => setSubject(e.target.value)} />
      </label>
      <label>
        {t("template.body")}
        <textarea
          required
          rows={16}
          readOnly={!editable}
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
      </label>
      <p className="muted">{t("template.help")}</p>
      <ErrorNote error={save.error ?? reset.error} />
      <Notice text={done} />
      {editable && (
        <div className="row">
          <button type="submit" disabled={save.isPending}>
            {t("template.save")}
          </button>
          {customised && builtin && (
            <button
              type="button"
              className="secondary"
              disabled={reset.isPending}
              onClick={() => {
                setDone(null);
                reset.mutate(path, { onSuccess: () => setDone(t("template.resetDone")) });
              }}
            >
              {t("template.reset")}
            </button>
          )}
        </div>
      )}
    </form>
  );
}
