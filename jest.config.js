/**
 * One jest run for every workspace. The global setup starts the real servers once (NATS with
 * JetStream, a Mongo-compatible server) and the teardown stops them; see tools/testkit/src/jest.
 * Tests run on the TypeScript sources; `npm test` builds first so the set-up code is compiled.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  // The benchmark's own check (tools/bench/test) is not part of it: `npm run bench:check`.
  testMatch: ['<rootDir>/*/test/**/*.test.ts', '<rootDir>/tools/{stack,testkit,launcher}/test/**/*.test.ts'],
  // The benchmark's baseline checkout lives under .tools/: never part of this run.
  modulePathIgnorePatterns: ['<rootDir>/.tools/', '<rootDir>/.bench/'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  moduleNameMapper: {
    // The package's entry points (its `exports`), from source; nothing else of common is importable by name.
    '^@ticketing/common/(errors|http|events|mongo|outbox|jetstream|stan)$': '<rootDir>/common/src/$1/index.ts',
    '^@ticketing/(stack|testkit|launcher)/(.*)$': '<rootDir>/tools/$1/src/$2',
    // Each service's API description (its `./api` export), from source.
    '^@ticketing/(auth|tickets|orders|payments)/api$': '<rootDir>/$1/src/api.ts',
  },
  globalSetup: '<rootDir>/tools/testkit/dist/jest/global-setup.js',
  globalTeardown: '<rootDir>/tools/testkit/dist/jest/global-teardown.js',
  testTimeout: 30_000,
  maxWorkers: 2,
};
