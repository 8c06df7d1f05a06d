import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Black-box tests start real daemons; keep them from competing for the 2 cores.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The JSON report lets .ci/run print a one-line summary.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-output/vitest-results.json' },
  },
});
