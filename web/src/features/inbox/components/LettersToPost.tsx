import { useState } from "react";
import { Link } from "react-router";

import { ErrorNote } from "@/components/ErrorNote";
import { Loading } from "@/components/Loading";
import { MoreButton } from "@/components/MoreButton";
import { Notice } from "@/components/Notice";
import { useI18n } from "@/i18n";
import { useAdministration } from "@/lib/administration";

import { useLetterPdf, useLetters, useMarkPosted } from "../api/inbox";

/** Letters waiting to be posted: each one's PDF, and "posted" once it went out. */
export function LettersToPost() {
  const { t, dateTime } = useI18n();
  const administration = useAdministration();
  const letters = useLetters(administration.id);
  const posted = useMarkPosted(administration.id);
  const pdf = useLetterPdf(administration.id);
  const [done, setDone] = useState<string | null>(null);
  if (!letters.data) return <Loading error={letters.error} />;
  const items = letters.data.pages.flatMap((page) => page.items);
  return (
    <>
      {items.length === 0 ? (
        <p className="muted">{t("letters.none")}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("letters.made")}</th>
              <th scope="col">{t("letters.debtor")}</th>
              <th scope="col">{t("message.subject")}</th>
              <th scope="col">
                <span className="muted">{t("imports.detail")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((letter) => {
              const name = letter.debtor_name ?? letter.debtor_id;
              return (
                <tr key={letter.message_id}>
                  <td>{dateTime(letter.created_at)}</td>
                  <td>
                    <Link to={`../debtors/${letter.debtor_id}`} relative="path">
                      {name}
                    </Link>
                  </td>
                  <td>{letter.subject ?? "–"}</td>
                  <td className="row">
                    <button
                      type="button"
                      className="secondary"
                      aria-label={t("letters.pdfOf", { name })}
                      disabled={pdf.isPending}
                      onClick={() => pdf.mutate(letter.message_id)}
                    >
                      {t("letters.pdf")}
                    </button>
                    {administration.may("message") && (
                      <button
                        type="button"
                        aria-label={t("letters.postedOf", { name })}
                        disabled={posted.isPending}
                        onClick={() => {
                          setDone(null);
                          posted.mutate(letter.message_id, { onSuccess: () => setDone(t("letters.posted", { name })) });
                        }}
                      >
                        {t("letters.markPosted")}
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <ErrorNote error={posted.error ?? pdf.error} />
      <Notice text={done} />
      <MoreButton hasMore={letters.hasNextPage} loading={letters.isFetchingNextPage} onMore={() => void letters.fetchNextPage()} />
    </>
  );
}
