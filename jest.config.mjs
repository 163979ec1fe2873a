// Nest 12 ships ESM only, so the specs run as ES modules (node --experimental-vm-modules).
const esm = {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  setupFiles: ['reflect-metadata'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // @fastify/middie (Fastify's middleware, a CommonJS module) requires path-to-regexp 9, which
    // is ESM only: Node 20 loads it (require(esm)), Jest's module runtime does not before Node
    // 24.9. The tests give it the CommonJS 8.x that Nest's routers use (the same API); the
    // service itself loads 9.
    '^path-to-regexp$': '<rootDir>/node_modules/path-to-regexp/dist/index.js',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
};

export default {
  projects: [
    { ...esm, displayName: 'unit', rootDir: '.', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    { ...esm, displayName: 'e2e', rootDir: '.', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
    // The page in Chromium (/usr/bin/chromium); skipped with a warning where it is missing, but
    // never under CI=true (test/utils/chromium.ts).
    {
      ...esm,
      displayName: 'browser',
      rootDir: '.',
      testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
    },
  ],
  testTimeout: 20000,
};
