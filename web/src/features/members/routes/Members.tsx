import { useState, type FormEvent } from "react";

import { ErrorNote } from "@/components/ErrorNote";
import { Loading } from "@/components/Loading";
import { Notice } from "@/components/Notice";
import { useI18n } from "@/i18n";
import { useAdministration } from "@/lib/administration";

import { ROLES, useMembers, useNewApiToken, useRemoveMember, useSetRole, type Role } from "../api/members";

export default function Members() {
  const { t } = useI18n();
  const administration = useAdministration();
  const members = useMembers(administration.id);
  const setRole = useSetRole(administration.id);
  const remove = useRemoveMember(administration.id);
  const newToken = useNewApiToken(administration.id);
  const [done, setDone] = useState<string | null>(null);
  const [tokenName, setTokenName] = useState("");
  const [tokenRole, setTokenRole] = useState<Role>("restricted");
  const roleLabel = (role: string) => t(`role.${role}` as "role.standard");
  const createToken = (event: FormEvent) => {
    event.preventDefault();
    newToken.mutate({ name: tokenName, role: tokenRole });
  };
  return (
    <>
      <h1>{t("members.title")}</h1>
      <section className="card" aria-labelledby="members-heading">
        <h2 id="members-heading">{t("members.people")}</h2>
        {members.data ? (
          <table>
            <thead>
              <tr>
                <th scope="col">{t("members.name")}</th>
                <th scope="col">{t("auth.email")}</th>
                <th scope="col">{t("members.role")}</th>
                <th scope="col">{t("members.active")}</th>
                <th scope="col">
                  <span className="muted">{t("members.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {members.data.map((member) => (
                <tr key={member.user_id}>
                  <td>{member.name}</td>
                  <td>{member.email}</td>
                  <td>
                    <select
                      aria-label={t("members.roleOf", { name: member.name || member.email })}
                      value={member.role}
                      disabled={setRole.isPending}
                      onChange={(event) => {
                        setDone(null);
                        setRole.mutate(
                          { userId: member.user_id, role: event.target.value as Role },
                          { onSuccess: () => setDone(t("members.roleChanged", { name: member.name || member.email })) },
                        );
                      }}
                    >
                      {ROLES.map((role) => (
                        <option key={role} value={role}>
                          {roleLabel(role)}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>{member.active ? t("common.yes") : t("common.no")}</td>
                  <td>
                    <button
                      type="button"
                      className="danger"
                      aria-label={t("members.removeWho", { name: member.name || member.email })}
                      disabled={remove.isPending}
                      onClick={() => {
                        if (window.confirm(t("members.removeConfirm", { name: member.name || member.email })))
                          remove.mutate(member.user_id);
                      }}
                    >
                      {t("members.remove")}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <Loading error={members.error} />
        )}
        <ErrorNote error={setRole.error ?? remove.error} />
        <Notice text={done} />
      </section>
      <form className="card stack" onSubmit={createToken} aria-labelledby="token-heading">
        <h2 id="token-heading">{t("tokens.title")}</h2>
        <p className="muted">{t("tokens.help")}</p>
        <div className="row">
          <label>
            {t("tokens.name")}
            <input required maxLength={200} value={tokenName} onChange={(event) => setTokenName(event.target.value)} />
          </label>
          <label>
            {t("members.role")}
            <select value={tokenRole} onChange={(event) => setTokenRole(event.target.value as Role)}>
              {ROLES.map((role) => (
                <option key={role} value={role}>
                  {roleLabel(role)}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={newToken.isPending}>
            {t("tokens.create")}
          </button>
        </div>
        <ErrorNote error={newToken.error} />
        {newToken.data && (
          <p role="status">
            {t("tokens.created")} <code>{newToken.data.token}</code>
          </p>
        )}
      </form>
    </>
  );
}
