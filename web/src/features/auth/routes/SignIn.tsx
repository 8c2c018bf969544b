import { useState, type FormEvent } from "react";
import { Navigate } from "react-router";

import { ErrorNote } from "@/components/ErrorNote";
import { LocaleSwitch } from "@/components/LocaleSwitch";
import { useI18n } from "@/i18n";

import { useSignedIn, useSignIn } from "../api/session";

export function SignIn() {
  const { t } = useI18n();
  const signedIn = useSignedIn();
  const signIn = useSignIn();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  if (signedIn) return <Navigate to="/" replace />;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    signIn.mutate({ email, password });
  };
  return (
    <main className="sign-in">
      <h1>Settle</h1>
      <form onSubmit={submit} className="card stack">
        <h2>{t("auth.title")}</h2>
        <label>
          {t("auth.email")}
          <input
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(event) => setEmail(event.target.value)}
          />
        </label>
        <label>
          {t("auth.password")}
          <input
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </label>
        <ErrorNote error={signIn.error} />
        <button type="submit" disabled={signIn.isPending}>
          {t("auth.submit")}
        </button>
      </form>
      <LocaleSwitch />
    </main>
  );
}
