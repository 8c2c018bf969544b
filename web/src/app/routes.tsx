import { lazy, Suspense } from "react";
import { Navigate, Route, Routes } from "react-router";

import { Loading } from "@/components/Loading";
import { useSignedIn } from "@/features/auth/api/session";
import { AcceptInvitation } from "@/features/auth/routes/AcceptInvitation";
import { SignIn } from "@/features/auth/routes/SignIn";
import { Dashboard } from "@/features/dashboard/routes/Dashboard";

import { Layout } from "./Layout";

// Screens past the dashboard load when first opened, so the first load stays small.
const InvoiceList = lazy(() => import("@/features/invoices/routes/InvoiceList"));
const InvoicePage = lazy(() => import("@/features/invoices/routes/InvoicePage"));
const DebtorList = lazy(() => import("@/features/debtors/routes/DebtorList"));
const DebtorPage = lazy(() => import("@/features/debtors/routes/DebtorPage"));
const Inbox = lazy(() => import("@/features/inbox/routes/Inbox"));
const Imports = lazy(() => import("@/features/imports/routes/Imports"));
const ConnectionEditor = lazy(() => import("@/features/imports/routes/ConnectionEditor"));
const Settings = lazy(() => import("@/features/settings/routes/Settings"));
const FlowEditor = lazy(() => import("@/features/settings/routes/FlowEditor"));
const TemplateEditor = lazy(() => import("@/features/settings/routes/TemplateEditor"));
const Members = lazy(() => import("@/features/members/routes/Members"));

export function AppRoutes() {
  const signedIn = useSignedIn();
  if (!signedIn)
    return (
      <Routes>
        <Route path="/invitation" element={<AcceptInvitation />} />
        <Route path="*" element={<SignIn />} />
      </Routes>
    );
  return (
    <Suspense fallback={<Loading />}>
      <Routes>
        <Route path="/sign-in" element={<SignIn />} />
        <Route path="/invitation" element={<AcceptInvitation />} />
        <Route path="/a/:administrationId" element={<Layout />}>
          <Route index element={<Navigate to="dashboard" replace />} />
          <Route path="dashboard" element={<Dashboard />} />
          <Route path="invoices" element={<InvoiceList />} />
          <Route path="invoices/:invoiceId" element={<InvoicePage />} />
          <Route path="debtors" element={<DebtorList />} />
          <Route path="debtors/:debtorId" element={<DebtorPage />} />
          <Route path="inbox" element={<Inbox />} />
          <Route path="imports" element={<Imports />} />
          <Route path="imports/connections/:connectionId" element={<ConnectionEditor />} />
          <Route path="settings" element={<Settings />} />
          <Route path="settings/flows/:flowId" element={<FlowEditor />} />
          <Route path="settings/templates/:templateKey" element={<TemplateEditor />} />
          <Route path="members" element={<Members />} />
        </Route>
        <Route path="*" element={<Layout />} />
      </Routes>
    </Suspense>
  );
}
