import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    // The loader's rules of personnel, seals and sync, registered as the CLI registers them.
    setupFiles: ['tests/helpers/register-config-checks.ts'],
    // Integration tests open real sockets, PTYs and SQLite files; give them room on a 2-core box.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
