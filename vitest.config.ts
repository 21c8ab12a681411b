import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // End-to-end tests each start a moto server and a local Jira; two cores → keep parallelism modest.
    maxWorkers: 2,
    pool: 'forks',
  },
});
