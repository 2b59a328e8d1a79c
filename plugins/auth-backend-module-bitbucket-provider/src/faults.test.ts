import { mockServices } from '@backstage/backend-test-utils';
import {
  BitbucketSimulator,
  Fault,
  startBitbucketSimulator,
} from '@bitbucket-signin/bitbucket-cloud-simulator';
import {
  aliceByEmail,
  startAuthBackend,
  testConsumer,
} from './__testUtils__/startAuthBackend';
import {
  refreshBackstageSession,
  signInThroughBackstage,
} from '@bitbucket-signin/test-kit';

const TIMEOUT_MS = 600;
const consumer = testConsumer('faults-test');

/** A Fault without its path, kept per kind */
type FaultKind = Fault extends infer F
  ? F extends Fault
    ? Omit<F, 'path'>
    : never
  : never;

const faults: Array<[string, FaultKind, RegExp]> = [
  ['HTTP 500', { kind: 'status', status: 500 }, /answered HTTP 500/],
  ['HTTP 502', { kind: 'status', status: 502 }, /answered HTTP 502/],
  ['HTTP 503', { kind: 'status', status: 503 }, /answered HTTP 503/],
  [
    'HTTP 429',
    { kind: 'status', status: 429, retryAfterSeconds: 30 },
    /is rate limited \(HTTP 429/,
  ],
  ['malformed JSON', { kind: 'malformed' }, /unexpectedly/],
  [
    'a hang',
    { kind: 'hang' },
    /did not answer within auth\.providers\.bitbucket\.<environment>\.timeout/,
  ],
  ['a connection reset', { kind: 'reset' }, /could not be reached/],
];

const paths: Array<[string, string]> = [
  [
    '/site/oauth2/access_token',
    'POST /site/oauth2/access_token (authorization_code)',
  ],
  ['/2.0/user', 'GET /2.0/user'],
  ['/2.0/user/emails', 'GET /2.0/user/emails'],
];

describe('Bitbucket faults', () => {
  const logger = mockServices.logger.mock();
  const warnings = () => logger.warn.mock.calls.map(([message]) => message);
  let simulator: BitbucketSimulator;
  let backend: Awaited<ReturnType<typeof startAuthBackend>>;

  const signIn = (username = 'alice-bb') =>
    signInThroughBackstage({
      backendUrl: backend.backendUrl,
      consent: url => simulator.approve(url, username),
    });

  beforeAll(async () => {
    simulator = await startBitbucketSimulator({ consumers: [consumer] });
    backend = await startAuthBackend({
      simulator,
      consumer,
      entities: aliceByEmail.entities,
      extraFeatures: [logger.factory],
      providerConfig: {
        timeout: TIMEOUT_MS,
        signIn: aliceByEmail.signIn,
      },
    });
  });

  afterAll(async () => {
    await backend.stop();
    await simulator.stop();
  });

  afterEach(() => {
    simulator.clearFaults();
    logger.warn.mockClear();
  });

  describe.each(paths)('on %s', (path, request) => {
    it.each(faults)(
      'fails cleanly on %s within the timeout, then works again',
      async (_, fault, reason) => {
        simulator.addFault({ path, ...fault } as Fault);
        const escaped = request.replace(/[()]/g, '\\$&');
        const started = Date.now();
        const failed = await signIn();
        expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 1500);
        expect(failed.response).toBeUndefined();
        expect(failed.error?.message).toMatch(
          new RegExp(
            `^Bitbucket Cloud (failed: ${escaped}|answered ${escaped} unexpectedly)`,
          ),
        );
        expect(failed.error?.message).toMatch(reason);
        expect(failed.body).not.toContain(consumer.secret);
        // the popup is the engineer's; the admin finds the same words in the log
        expect(warnings()).toEqual([
          `Bitbucket sign-in failed: ${failed.error?.message}`,
        ]);

        simulator.clearFaults();
        simulator.resetRequestCounts();
        const next = await signIn();
        expect(next.response?.backstageIdentity?.identity.userEntityRef).toBe(
          'user:default/alice',
        );
        // nothing from the failed attempt was reused: the next one asked Bitbucket afresh
        expect(simulator.requestCounts()).toMatchObject({
          '/site/oauth2/access_token': 1,
          '/2.0/user': 1,
          '/2.0/user/emails': 1,
        });
      },
    );
  });

  it('retries a profile read once after a single 5xx, within the same sign-in', async () => {
    simulator.resetRequestCounts();
    simulator.addFault({
      path: '/2.0/user',
      kind: 'status',
      status: 503,
      times: 1,
    });
    const outcome = await signIn();
    expect(outcome.response?.backstageIdentity?.identity.userEntityRef).toBe(
      'user:default/alice',
    );
    expect(simulator.requestCounts()['/2.0/user']).toBe(2);
  });

  it('retries a profile read once after a dropped connection', async () => {
    simulator.addFault({ path: '/2.0/user/emails', kind: 'reset', times: 1 });
    const outcome = await signIn();
    expect(outcome.response?.profile.email).toBe('alice@example.com');
  });

  it('never retries the code exchange: a code works once', async () => {
    simulator.resetRequestCounts();
    simulator.addFault({
      path: '/site/oauth2/access_token',
      kind: 'status',
      status: 503,
      times: 1,
    });
    const outcome = await signIn();
    expect(outcome.error?.message).toContain('answered HTTP 503');
    expect(simulator.requestCounts()['/site/oauth2/access_token']).toBe(1);
  });

  it('refreshes a session whose access token expired (401 from the API)', async () => {
    const first = await signIn();
    simulator.expireAccessTokens();
    const refreshed = await refreshBackstageSession({
      backendUrl: backend.backendUrl,
      cookies: first.cookies,
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.backstageIdentity.identity.userEntityRef).toBe(
      'user:default/alice',
    );
  });

  it('a failed refresh says why and leaks no token', async () => {
    const first = await signIn();
    simulator.addFault({
      path: '/site/oauth2/access_token',
      kind: 'status',
      status: 502,
    });
    const refreshed = await refreshBackstageSession({
      backendUrl: backend.backendUrl,
      cookies: first.cookies,
    });
    // an outage is not an ended session: 503, not the framework's 401
    expect(refreshed.status).toBe(503);
    expect(refreshed.body.error.name).toBe('ServiceUnavailableError');
    expect(refreshed.text).toContain(
      'Bitbucket Cloud failed: POST /site/oauth2/access_token (refresh_token) answered HTTP 502',
    );
    const refreshToken = first.cookies
      .find(c => c.startsWith('bitbucket-refresh-token='))!
      .split('=')[1];
    expect(refreshed.text).not.toContain(decodeURIComponent(refreshToken));
    expect(warnings()).toEqual([
      expect.stringMatching(
        /^Bitbucket session refresh failed: Bitbucket Cloud failed: POST \/site\/oauth2\/access_token \(refresh_token\) answered HTTP 502/,
      ),
    ]);
    expect(warnings().join()).not.toContain(decodeURIComponent(refreshToken));
  });

  it.each([
    // before the token endpoint answers: the cookie's token is still good
    ['the token endpoint', '/site/oauth2/access_token', 1],
    // after it rotated the token: the reuse window keeps the new one (the
    // client tries a 5xx once more, hence two)
    ['the profile calls', '/2.0/user/emails', 2],
  ])(
    'keeps the session through an outage of %s: the same cookie refreshes once Bitbucket is back',
    async (_, path, times) => {
      const first = await signIn();
      simulator.addFault({ path, kind: 'status', status: 503, times });
      const during = await refreshBackstageSession({
        backendUrl: backend.backendUrl,
        cookies: first.cookies,
      });
      expect(during.status).toBe(503);
      const after = await refreshBackstageSession({
        backendUrl: backend.backendUrl,
        cookies: first.cookies,
      });
      expect(after.status).toBe(200);
    },
  );

  it('still answers 401 when Bitbucket revoked the session', async () => {
    const first = await signIn();
    simulator.revokeRefreshTokens('alice-bb');
    const refreshed = await refreshBackstageSession({
      backendUrl: backend.backendUrl,
      cookies: first.cookies,
    });
    expect(refreshed.status).toBe(401);
    expect(refreshed.text).toContain('no longer accepts this session');
  });

  // Not guarded, and said so in the README: Bitbucket has no revocation
  // endpoint, so sign-out can only delete the cookie in the browser.
  it('after sign-out, a copy of the refresh cookie taken before still refreshes', async () => {
    const first = await signIn();
    const logout = await fetch(
      `${backend.backendUrl}/api/auth/bitbucket/logout?env=development`,
      {
        method: 'POST',
        headers: {
          'x-requested-with': 'XMLHttpRequest',
          cookie: first.cookies.join('; '),
        },
      },
    );
    expect(logout.status).toBe(200);
    expect(logout.headers.getSetCookie().join(';')).toMatch(
      /bitbucket-refresh-token=;/,
    );
    const replayed = await refreshBackstageSession({
      backendUrl: backend.backendUrl,
      cookies: first.cookies,
    });
    expect(replayed.status).toBe(200);
  });
});
