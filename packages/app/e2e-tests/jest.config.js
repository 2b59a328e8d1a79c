/*
 * Jest config for the browser tests of packages/app (headless Chromium
 * against the real backend serving the built app). Run with
 *   CI=true yarn workspace app test:browser
 * i.e. `backstage-cli package test --config e2e-tests/jest.config.js`.
 */
const swcTransform = require.resolve('@backstage/cli/config/jestSwcTransform');

module.exports = {
  displayName: 'app browser tests',
  rootDir: __dirname,
  testMatch: ['<rootDir>/**/*.browser.test.ts'],
  testEnvironment: 'node',
  // one browser, one backend: never in parallel
  maxWorkers: 1,
  testTimeout: 60_000,
  transform: {
    '\\.(ts|mts|cts)$': [
      swcTransform,
      { jsc: { parser: { syntax: 'typescript' } } },
    ],
  },
};
