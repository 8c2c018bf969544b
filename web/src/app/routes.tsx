import { Suspense } from "react";
import { Navigate, Route, Routes } from "react-router";

import { Loading } from "@/components/Loading";
import { useSignedIn } from "@/features/auth/api/session";
import { SignIn } from "@/features/auth/routes/SignIn";
import { Dashboard } from "@/features/dashboard/routes/Dashboard";

import { Layout } from "./Layout";

export function AppRoutes() {
  const signedIn = useSignedIn();
  if (!signedIn)
    return (
      <Routes>
        <Route path="*" element={<SignIn />} />
      </Routes>
    );
  return (
    <Suspense fallback={<Loading />}>
      <Routes>
        <Route path="/sign-in" element={<SignIn />} />
        <Route path="/a/:administrationId" element={<Layout />}>
          <Route index element={<Navigate to="dashboard" replace />} />
          <Route path="dashboard" element={<Dashboard />} />
        </Route>
        <Route path="*" element={<Layout />} />
      </Routes>
    </Suspense>
  );
}
