/**
 * The benchmark's own check, outside `npm test`: `npm run bench:check` runs `npm run bench -- --quick` as a
 * user does and checks the report's shape (never a speed). The bench starts its own stack, so there is no
 * global set-up here.
 * @type {import('jest').Config}
 */
const base = require('../../jest.config.js');

module.exports = {
  ...base,
  rootDir: '../..',
  testMatch: ['<rootDir>/tools/bench/test/**/*.test.ts'],
  globalSetup: undefined,
  globalTeardown: undefined,
};
