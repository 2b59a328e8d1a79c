/**
 * What this repository's tests share: the Backstage sign-in driver, loopback
 * servers and ports, a test database that closes, and the browser stand-in
 * around the OAuth popup. Test-only; never published.
 *
 * @packageDocumentation
 */
export {
  decodeBackstageToken,
  refreshBackstageSession,
  signInThroughBackstage,
} from './backstageSignIn';
export type {
  BackstageAuthResponse,
  BackstageSignInOutcome,
  SignInOptions,
} from './backstageSignIn';
export { fakeAuthResponse, backendAuthUrl, fakeBrowser } from './fakeBrowser';
export { freePort } from './freePort';
export { startLoopbackServer } from './loopbackServer';
export { startBackendProcess } from './backendProcess';
export type { BackendProcess } from './backendProcess';
export { chromiumLaunchOptions } from './chromium';
export { createTestDatabase } from './testDatabase';
export {
  simulatedBitbucketConfig,
  startSimulatedBitbucket,
} from './simulatedBitbucket';
export { silenceKnownFrameworkWarnings } from './silenceKnownFrameworkWarnings';
export { startTestRedis } from './redis';
export type { TestRedis } from './redis';
export { installTestMeterProvider } from './meterReader';
export type { MetricPoint } from './meterReader';
