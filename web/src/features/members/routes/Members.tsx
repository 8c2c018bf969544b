import { useState } from "react";

import { ErrorNote } from "@/components/ErrorNote";
import { Loading } from "@/components/Loading";
import { Notice } from "@/components/Notice";
import { labelOf, useI18n } from "@/i18n";
import { useAdministration } from "@/lib/administration";

import {
  invitationLink,
  ROLES,
  useMemberCommand,
  useMembers,
  useRemoveMember,
  useSetRole,
  type Member,
  type Role,
} from "../api/members";
import { ApiTokens } from "../components/ApiTokens";
import { InviteForm } from "../components/InviteForm";

export default function Members() {
  const { t } = useI18n();
  const administration = useAdministration();
  const members = useMembers(administration.id);
  const setRole = useSetRole(administration.id);
  const remove = useRemoveMember(administration.id);
  const command = useMemberCommand(administration.id);
  const [done, setDone] = useState<string | null>(null);
  const who = (member: Member) => member.name || member.email;
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
                <th scope="col">{t("members.state")}</th>
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
                      aria-label={t("members.roleOf", { name: who(member) })}
                      value={member.role}
                      disabled={setRole.isPending}
                      onChange={(event) => {
                        setDone(null);
                        setRole.mutate(
                          { userId: member.user_id, role: event.target.value as Role },
                          { onSuccess: () => setDone(t("members.roleChanged", { name: who(member) })) },
                        );
                      }}
                    >
                      {ROLES.map((role) => (
                        <option key={role} value={role}>
                          {t(`role.${role}` as "role.standard")}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>{labelOf(t, "memberState", member.state)}</td>
                  <td className="row">
                    {member.state === "invited" && (
                      <button
                        type="button"
                        className="secondary"
                        aria-label={t("members.reinviteWho", { name: who(member) })}
                        disabled={command.isPending}
                        onClick={() =>
                          command.mutate(
                            { userId: member.user_id, command: "invitation" },
                            {
                              onSuccess: (answer) => {
                                const token = (answer as { token?: string } | null)?.token;
                                setDone(token ? `${t("members.invited")} ${invitationLink(token)}` : null);
                              },
                            },
                          )
                        }
                      >
                        {t("members.reinvite")}
                      </button>
                    )}
                    {member.state === "deactivated" ? (
                      <button
                        type="button"
                        className="secondary"
                        aria-label={t("members.activateWho", { name: who(member) })}
                        disabled={command.isPending}
                        onClick={() => command.mutate({ userId: member.user_id, command: "activate" })}
                      >
                        {t("members.activate")}
                      </button>
                    ) : (
                      <button
                        type="button"
                        className="secondary"
                        aria-label={t("members.deactivateWho", { name: who(member) })}
                        disabled={command.isPending}
                        onClick={() => command.mutate({ userId: member.user_id, command: "deactivate" })}
                      >
                        {t("members.deactivate")}
                      </button>
                    )}
                    <button
                      type="button"
                      className="danger"
                      aria-label={t("members.removeWho", { name: who(member) })}
                      disabled={remove.isPending}
                      onClick={() => {
                        if (window.confirm(t("members.removeConfirm", { name: who(member) })))
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
        <ErrorNote error={setRole.error ?? remove.error ?? command.error} />
        <Notice text={done} />
      </section>
      <InviteForm administrationId={administration.id} />
      <ApiTokens administrationId={administration.id} />
    </>
  );
}
