import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // 2-core machine: integration tests start real servers
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: ["default", "./vitest.summary.ts"],
  },
});
