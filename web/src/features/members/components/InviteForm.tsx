import { useState, type FormEvent } from "react";

import { ErrorNote } from "@/components/ErrorNote";
import { useI18n } from "@/i18n";

import { invitationLink, ROLES, useInvite, type Role } from "../api/members";

/** Invite a person: a new user gets an invitation link, shown once, to pass on. */
export function InviteForm({ administrationId }: { administrationId: string }) {
  const { t } = useI18n();
  const invite = useInvite(administrationId);
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("standard");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    invite.mutate({ email, name, role });
  };
  const token = invite.data?.invitation?.token;
  return (
    <form className="card stack" onSubmit={submit} aria-labelledby="invite-heading">
      <h2 id="invite-heading">{t("members.invite")}</h2>
      <div className="row">
        <label>
          {t("auth.email")}
          <input type="email" required value={email} onChange={(event) => setEmail(event.target.value)} />
        </label>
        <label>
          {t("members.name")}
          <input required value={name} onChange={(event) => setName(event.target.value)} />
        </label>
        <label>
          {t("members.role")}
          <select value={role} onChange={(event) => setRole(event.target.value as Role)}>
            {ROLES.map((code) => (
              <option key={code} value={code}>
                {t(`role.${code}` as "role.standard")}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={invite.isPending}>
          {t("members.inviteSend")}
        </button>
      </div>
      <ErrorNote error={invite.error} />
      {invite.data && (
        <p role="status">
          {token ? (
            <>
              {t("members.invited")} <code>{invitationLink(token)}</code>
            </>
          ) : (
            t("members.added")
          )}
        </p>
      )}
    </form>
  );
}
