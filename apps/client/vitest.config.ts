import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      { test: { name: "unit", include: ["src/**/*.test.ts"] } },
      {
        // Real plz-cache-node processes, the built CLI as a child process, and fake clusters of
        // in-process servers: one file at a time, no retries, long timeouts.
        test: {
          name: "integration",
          include: ["test/**/*.test.ts"],
          fileParallelism: false,
          retry: 0,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
