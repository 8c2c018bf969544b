import { useState } from "react";

import { Loading } from "@/components/Loading";
import { MoreButton } from "@/components/MoreButton";
import { useI18n } from "@/i18n";
import { useAdministration } from "@/lib/administration";

import { threadsOf, useInbox } from "../api/inbox";
import { BlockedAddresses } from "../components/BlockedAddresses";
import { LettersToPost } from "../components/LettersToPost";
import { ThreadView } from "../components/ThreadView";

export default function Inbox() {
  const { t } = useI18n();
  const administration = useAdministration();
  const [unreadOnly, setUnreadOnly] = useState(false);
  const inbox = useInbox(administration.id, unreadOnly);
  const messages = inbox.data?.pages.flatMap((page) => page.items) ?? [];
  const threads = threadsOf(messages);
  return (
    <>
      <h1>{t("inbox.title")}</h1>
      <div className="row">
        <label className="check">
          <input type="checkbox" checked={unreadOnly} onChange={(event) => setUnreadOnly(event.target.checked)} />
          {t("inbox.unreadOnly")}
        </label>
      </div>
      {inbox.data ? (
        <>
          {threads.length === 0 && <p className="muted">{t("inbox.empty")}</p>}
          {threads.map((thread) => (
            <ThreadView key={thread.threadId} thread={thread} />
          ))}
          <MoreButton
            hasMore={inbox.hasNextPage}
            loading={inbox.isFetchingNextPage}
            onMore={() => void inbox.fetchNextPage()}
          />
        </>
      ) : (
        <Loading error={inbox.error} />
      )}
      <section className="card" aria-labelledby="letters-heading">
        <h2 id="letters-heading">{t("letters.title")}</h2>
        <LettersToPost />
      </section>
      <section className="card" aria-labelledby="blocked-heading">
        <h2 id="blocked-heading">{t("blocked.title")}</h2>
        <BlockedAddresses />
      </section>
    </>
  );
}
