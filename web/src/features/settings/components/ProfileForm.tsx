import { useEffect, useState, type FormEvent } from "react";

import { ErrorNote } from "@/components/ErrorNote";
import { Loading } from "@/components/Loading";
import { Notice } from "@/components/Notice";
import { labelOf, useI18n } from "@/i18n";

import { useProfile, useSaveProfile, type Profile } from "../api/settings";

const TEXT_FIELDS = ["name", "email", "phone", "website", "street", "postal_code", "city", "chamber_of_commerce", "iban"] as const;
const LANGUAGES = ["nl", "en", "de", "fr"];

/** How the administration signs its messages, its languages, and what a hard bounce does:
 * sent whole to messaging, which answers it as stored. */
export function ProfileForm({ administrationId }: { administrationId: string }) {
  const { t } = useI18n();
  const stored = useProfile(administrationId);
  const save = useSaveProfile(administrationId);
  const [draft, setDraft] = useState<Profile | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  useEffect(() => {
    if (stored.data) setDraft(stored.data);
  }, [stored.data]);
  if (!draft) return <Loading error={stored.error} />;
  const change = (patch: Partial<Profile>) => {
    setSaved(null);
    setDraft({ ...draft, ...patch });
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate(draft, { onSuccess: () => setSaved(t("profile.saved")) });
  };
  return (
    <form className="stack" onSubmit={submit} aria-labelledby="profile-heading">
      <h2 id="profile-heading">{t("profile.title")}</h2>
      <label>
        {t("profile.bouncePolicy")}
        <select
          value={draft.bounce_policy ?? "block"}
          onChange={(e) => change({ bounce_policy: e.target.value as Profile["bounce_policy"] })}
        >
          {(["block", "letter", "both"] as const).map((policy) => (
            <option key={policy} value={policy}>
              {labelOf(t, "bounce", policy)}
            </option>
          ))}
        </select>
      </label>
      <div className="row">
        <label>
          {t("profile.defaultLanguage")}
          <select value={draft.default_language ?? "nl"} onChange={(e) => change({ default_language: e.target.value })}>
            {LANGUAGES.map((code) => (
              <option key={code} value={code}>
                {labelOf(t, "language", code)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("profile.fallbackLanguage")}
          <select value={draft.fallback_language ?? "en"} onChange={(e) => change({ fallback_language: e.target.value })}>
            {LANGUAGES.map((code) => (
              <option key={code} value={code}>
                {labelOf(t, "language", code)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("profile.country")}
          <input
            required
            maxLength={2}
            pattern="[A-Z]{2}"
            size={4}
            value={draft.country ?? "NL"}
            onChange={(e) => change({ country: e.target.value.toUpperCase() })}
          />
        </label>
      </div>
      <div className="columns">
        {TEXT_FIELDS.map((field) => (
          <label key={field}>
            {t(`profile.${field}` as "profile.name")}
            <input
              type={field === "email" ? "email" : "text"}
              value={draft[field] ?? ""}
              onChange={(e) => change({ [field]: e.target.value || null })}
            />
          </label>
        ))}
      </div>
      <ErrorNote error={save.error} />
      <Notice text={saved} />
      <div className="row">
        <button type="submit" disabled={save.isPending}>
          {t("profile.save")}
        </button>
      </div>
    </form>
  );
}
