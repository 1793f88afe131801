import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    clearMocks: true,
    restoreMocks: true,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    tags: [{ name: "slow", description: "starts a real server or runs the CLI end to end" }],
    coverage: { include: ["src/**"], reporter: ["text-summary"] },
  },
});
