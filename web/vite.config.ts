import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run dev` serves the app on :5173 and passes the API on to a gateway on :8000.
export default defineConfig({
  plugins: [react()],
  resolve: { alias: { "@": decodeURIComponent(new URL("./src", import.meta.url).pathname) } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // The first load carries only what every screen needs; the chart library comes with the
    // dashboard's charts.
    chunkSizeWarningLimit: 600,
  },
  server: { proxy: { "/api": "http://127.0.0.1:8000" } },
});
