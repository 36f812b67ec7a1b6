import { defineConfig } from "vitest/config";

// esbuild compiles TSX with the automatic runtime: no React plugin needed for a build.
// In development, `npm run dev` proxies the API to a `perfgraph serve` on port 8000.
export default defineConfig({
  esbuild: { jsx: "automatic" },
  build: { outDir: "dist", sourcemap: true, chunkSizeWarningLimit: 600 },
  server: {
    proxy: {
      "/graphql": { target: "http://127.0.0.1:8000", ws: true },
      "/reports": "http://127.0.0.1:8000",
    },
  },
  test: { include: ["test/**/*.test.ts"], environment: "node" },
});
