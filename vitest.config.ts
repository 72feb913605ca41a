import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["{packages,plugins,apps}/*/src/**/*.test.ts", "plugins/*/test/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["./test/global-setup.ts"],
    pool: "forks",
    // isolated-vm needs the startup snapshot off on Node >= 20.
    execArgv: ["--no-node-snapshot"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default", "./test/summary-reporter.ts"],
  },
});
