import { useState, type FormEvent } from "react";

import { ErrorNote } from "@/components/ErrorNote";
import { Loading } from "@/components/Loading";
import { useI18n } from "@/i18n";

import { ROLES, useApiTokens, useNewApiToken, useRevokeToken, type Role } from "../api/members";

/** The administration's API tokens: make one (shown once), see who made each, revoke. */
export function ApiTokens({ administrationId }: { administrationId: string }) {
  const { t, dateTime } = useI18n();
  const tokens = useApiTokens(administrationId);
  const newToken = useNewApiToken(administrationId);
  const revoke = useRevokeToken(administrationId);
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("restricted");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    newToken.mutate({ name, role });
  };
  return (
    <section className="card stack" aria-labelledby="token-heading">
      <h2 id="token-heading">{t("tokens.title")}</h2>
      <p className="muted">{t("tokens.help")}</p>
      {tokens.data ? (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("tokens.name")}</th>
              <th scope="col">{t("members.role")}</th>
              <th scope="col">{t("tokens.hint")}</th>
              <th scope="col">{t("tokens.made")}</th>
              <th scope="col">
                <span className="muted">{t("members.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.data.map((token) => (
              <tr key={token.id}>
                <td>{token.name}</td>
                <td>{t(`role.${token.role}` as "role.standard")}</td>
                <td>
                  <code>…{token.hint}</code>
                </td>
                <td>
                  {dateTime(token.created_at)} · {token.created_by}
                </td>
                <td>
                  {token.revoked_at ? (
                    t("tokens.revokedOn", { date: dateTime(token.revoked_at) })
                  ) : (
                    <button
                      type="button"
                      className="danger"
                      aria-label={t("tokens.revokeWhich", { name: token.name })}
                      disabled={revoke.isPending}
                      onClick={() => revoke.mutate(token.id)}
                    >
                      {t("tokens.revoke")}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <Loading error={tokens.error} />
      )}
      <ErrorNote error={revoke.error} />
      <form className="row" onSubmit={submit}>
        <label>
          {t("tokens.name")}
          <input required maxLength={200} value={name} onChange={(event) => setName(event.target.value)} />
        </label>
        <label>
          {t("tokens.role")}
          <select value={role} onChange={(event) => setRole(event.target.value as Role)}>
            {ROLES.map((code) => (
              <option key={code} value={code}>
                {t(`role.${code}` as "role.standard")}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={newToken.isPending}>
          {t("tokens.create")}
        </button>
      </form>
      <ErrorNote error={newToken.error} />
      {newToken.data && (
        <p role="status">
          {t("tokens.created")} <code>{newToken.data.token}</code>
        </p>
      )}
    </section>
  );
}
