import { defineConfig } from "vitest/config";

// The end-to-end run: a real perfgraph (embedded PostgreSQL and Redis) and Debian's Chromium.
export default defineConfig({
  test: {
    include: ["e2e/**/*.e2e.ts"],
    environment: "node",
    testTimeout: 120_000,
    hookTimeout: 240_000,
    fileParallelism: false,
  },
});
