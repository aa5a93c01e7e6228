/**
 * One jest run for every workspace. The global setup starts the real servers once (NATS with
 * JetStream, a Mongo-compatible server) and the teardown stops them; see tools/src/jest.
 * Tests run on the TypeScript sources; `npm test` builds first so the set-up code is compiled.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/*/test/**/*.test.ts'],
  // The benchmark's baseline checkout lives under .tools/: never part of this run.
  modulePathIgnorePatterns: ['<rootDir>/.tools/', '<rootDir>/.bench/'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  moduleNameMapper: {
    // The package's entry points (its `exports`), from source; nothing else of common is importable by name.
    '^@ticketing/common/(errors|http|events|mongo|outbox|jetstream|stan)$': '<rootDir>/common/src/$1.ts',
    '^@ticketing/tools/(.*)$': '<rootDir>/tools/src/$1',
    // Each service's API description (its `./api` export), from source.
    '^@ticketing/(auth|tickets|orders|payments)/api$': '<rootDir>/$1/src/api.ts',
  },
  globalSetup: '<rootDir>/tools/dist/jest/global-setup.js',
  globalTeardown: '<rootDir>/tools/dist/jest/global-teardown.js',
  testTimeout: 30_000,
  maxWorkers: 2,
};
