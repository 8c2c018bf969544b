import { useState } from "react";

import { ErrorNote } from "@/components/ErrorNote";
import { Loading } from "@/components/Loading";
import { MoreButton } from "@/components/MoreButton";
import { Notice } from "@/components/Notice";
import { useI18n } from "@/i18n";
import { useAdministration } from "@/lib/administration";

import { useBlockedAddresses, useUnblock } from "../api/inbox";

/** Addresses no email goes to since a hard bounce, with why, and "unblock". */
export function BlockedAddresses() {
  const { t, dateTime } = useI18n();
  const administration = useAdministration();
  const blocked = useBlockedAddresses(administration.id);
  const unblock = useUnblock(administration.id);
  const [done, setDone] = useState<string | null>(null);
  if (!blocked.data) return <Loading error={blocked.error} />;
  const items = blocked.data.pages.flatMap((page) => page.items);
  return (
    <>
      {items.length === 0 ? (
        <p className="muted">{t("blocked.none")}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("blocked.address")}</th>
              <th scope="col">{t("blocked.since")}</th>
              <th scope="col">{t("blocked.reason")}</th>
              <th scope="col">
                <span className="muted">{t("imports.detail")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((item) => (
              <tr key={item.address}>
                <td>{item.address}</td>
                <td>{dateTime(item.blocked_at)}</td>
                <td>{item.reason}</td>
                <td>
                  {administration.may("message") && (
                    <button
                      type="button"
                      className="secondary"
                      aria-label={t("blocked.unblockOne", { address: item.address })}
                      disabled={unblock.isPending}
                      onClick={() => {
                        setDone(null);
                        unblock.mutate(item.address, {
                          onSuccess: () => setDone(t("blocked.unblocked", { address: item.address })),
                        });
                      }}
                    >
                      {t("blocked.unblock")}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ErrorNote error={unblock.error} />
      <Notice text={done} />
      <MoreButton hasMore={blocked.hasNextPage} loading={blocked.isFetchingNextPage} onMore={() => void blocked.fetchNextPage()} />
    </>
  );
}
