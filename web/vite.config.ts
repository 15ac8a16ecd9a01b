/// <reference types="vitest/config" />
// The dashboard's build: a static bundle written into the Python package
// (taskforge/web/dashboard), served by `taskforge serve` at `/`. The output must be a
// function of the sources alone (CI rebuilds it and compares): content-hashed names,
// no sourcemaps, no timestamps.
import { defineConfig } from "vite";

export default defineConfig({
  // relative: the server fills its mount path (root_path) into index.html (taskforge/web/ui.py),
  // and the scripts load their chunks relative to their own URL
  base: "./",
  build: {
    outDir: "../taskforge/web/dashboard",
    emptyOutDir: true,
    sourcemap: false,
    assetsInlineLimit: 0, // the CSP allows no data: scripts or fonts
    modulePreload: { polyfill: false }, // every supported browser has modulepreload
    reportCompressedSize: false,
    chunkSizeWarningLimit: 400,
  },
  // `npm run dev`: the sources with hot reload, the API proxied to a running server
  server: {
    proxy: {
      "/graphql": { target: process.env.TASKFORGE_URL ?? "http://127.0.0.1:8000", ws: true },
    },
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./vitest.setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    restoreMocks: true,
  },
});
