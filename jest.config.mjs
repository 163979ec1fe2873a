// Nest 12 ships ESM only, so the specs run as ES modules (node --experimental-vm-modules).
const esm = {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  setupFiles: ['reflect-metadata'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
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
