import { useQueryClient } from "@tanstack/react-query";
import { Navigate, NavLink, Outlet, useNavigate, useParams } from "react-router";

import { Loading } from "@/components/Loading";
import { LocaleSwitch } from "@/components/LocaleSwitch";
import { signOut, useMe } from "@/features/auth/api/session";
import { useI18n } from "@/i18n";
import { may } from "@/lib/access";
import { AdministrationContext } from "@/lib/administration";

/** The frame of every screen of an administration: its navigation and the user's choices. */
export function Layout() {
  const { t } = useI18n();
  const { administrationId } = useParams();
  const me = useMe();
  const navigate = useNavigate();
  const queries = useQueryClient();
  if (!me.data) return <Loading error={me.error} />;
  const administration = me.data.administrations.find((a) => a.id === administrationId);
  if (!administration) {
    const first = me.data.administrations[0];
    return first ? <Navigate to={`/a/${first.id}/dashboard`} replace /> : <NoAdministration />;
  }
  const base = `/a/${administration.id}`;
  const links: [string, string, boolean][] = [
    ["dashboard", t("nav.dashboard"), true],
    ["invoices", t("nav.invoices"), true],
    ["debtors", t("nav.debtors"), true],
    ["inbox", t("nav.inbox"), true],
    ["imports", t("nav.imports"), true],
    ["settings", t("nav.settings"), may(administration.role, "settings")],
    ["members", t("nav.members"), may(administration.role, "settings")],
  ];
  return (
    <AdministrationContext.Provider value={administration}>
      <a className="skip" href="#main">
        {t("nav.skip")}
      </a>
      <header className="top">
        <span className="brand">Settle</span>
        {me.data.administrations.length > 1 ? (
          <label className="inline">
            {t("nav.administration")}
            <select
              value={administration.id}
              onChange={(event) => navigate(`/a/${event.target.value}/dashboard`)}
            >
              {me.data.administrations.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <span>{administration.name}</span>
        )}
        <span className="spacer" />
        <span className="muted">
          {me.data.name} · {t(`role.${administration.role}` as "role.standard")}
        </span>
        <LocaleSwitch />
        <button
          type="button"
          className="secondary"
          onClick={() => {
            signOut();
            queries.clear();
          }}
        >
          {t("auth.signOut")}
        </button>
      </header>
      <nav aria-label={t("nav.label")} className="side">
        <ul>
          {links
            .filter(([, , shown]) => shown)
            .map(([path, label]) => (
              <li key={path}>
                <NavLink to={`${base}/${path}`}>{label}</NavLink>
              </li>
            ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </AdministrationContext.Provider>
  );
}

function NoAdministration() {
  const { t } = useI18n();
  return (
    <main id="main">
      <p>{t("nav.noAdministration")}</p>
      <button type="button" onClick={signOut}>
        {t("auth.signOut")}
      </button>
    </main>
  );
}
