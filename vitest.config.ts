import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // Hardware tests spawn Verilator/Yosys; they are slow but not timed.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
  },
});
