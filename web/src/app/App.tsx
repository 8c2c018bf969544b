import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { BrowserRouter } from "react-router";

import { I18nProvider } from "@/i18n";

import { AppRoutes } from "./routes";

const queries = new QueryClient({
  defaultOptions: {
    // The read model catches up from events moments after a command: lists are asked again
    // when the user comes back to them, not kept for long.
    queries: { staleTime: 5_000, retry: 1, refetchOnWindowFocus: true },
  },
});

export function App() {
  return (
    <QueryClientProvider client={queries}>
      <I18nProvider>
        <BrowserRouter>
          <AppRoutes />
        </BrowserRouter>
      </I18nProvider>
    </QueryClientProvider>
  );
}
