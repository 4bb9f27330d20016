import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // The tests use real files; leave room for a slow disk.
    testTimeout: 20_000,
  },
});
