import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";

import { api, setTokens, unwrap } from "@/api/client";
import { ErrorNote } from "@/components/ErrorNote";
import { LocaleSwitch } from "@/components/LocaleSwitch";
import { useI18n } from "@/i18n";

/** An invited person chooses a password with the link an administrator passed on. */
export function AcceptInvitation() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const queries = useQueryClient();
  const token = new URLSearchParams(window.location.hash.slice(1)).get("token") ?? "";
  const [password, setPassword] = useState("");
  const accept = useMutation({
    mutationFn: async () => unwrap(await api.POST("/api/v1/auth/invitation", { body: { token, password } })),
    onSuccess: (answer) => {
      queries.clear();
      setTokens({ access_token: answer.access_token, refresh_token: answer.refresh_token });
      navigate("/", { replace: true });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    accept.mutate();
  };
  return (
    <main className="sign-in">
      <h1>Settle</h1>
      <form onSubmit={submit} className="card stack">
        <h2>{t("invitation.title")}</h2>
        <p className="muted">{t("invitation.help")}</p>
        <label>
          {t("invitation.password")}
          <input
            type="password"
            autoComplete="new-password"
            minLength={12}
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </label>
        {!token && (
          <p className="error" role="alert">
            {t("invitation.noToken")}
          </p>
        )}
        <ErrorNote error={accept.error} />
        <button type="submit" disabled={!token || accept.isPending}>
          {t("invitation.submit")}
        </button>
      </form>
      <LocaleSwitch />
    </main>
  );
}
