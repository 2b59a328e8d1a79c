import {
  BitbucketSimulator,
  startBitbucketSimulator,
} from '@bitbucket-signin/bitbucket-cloud-simulator';
import {
  aliceByEmail,
  startAuthBackend,
  testConsumer,
} from './__testUtils__/startAuthBackend';
import { forgedState, postMessageTarget } from './__testUtils__/forgedCallback';

const consumer = testConsumer('bad-input');

/** Starts a sign-in and returns what the browser holds: the nonce cookie and a real callback query */
async function startedSignIn(
  backendUrl: string,
  simulator: BitbucketSimulator,
  origin = 'http://localhost:3000',
) {
  const start = await fetch(
    `${backendUrl}/api/auth/bitbucket/start?env=development&origin=${encodeURIComponent(
      origin,
    )}`,
    { redirect: 'manual' },
  );
  const cookie = start.headers
    .getSetCookie()
    .map(c => c.split(';')[0])
    .filter(c => !c.endsWith('='))
    .join('; ');
  const callback = new URL(
    await simulator.approve(start.headers.get('location')!, 'alice-bb'),
  );
  return { cookie, params: callback.searchParams };
}

describe('bad input on the callback', () => {
  let simulator: BitbucketSimulator;
  let backend: Awaited<ReturnType<typeof startAuthBackend>>;

  beforeAll(async () => {
    simulator = await startBitbucketSimulator({ consumers: [consumer] });
    backend = await startAuthBackend({
      simulator,
      consumer,
      entities: aliceByEmail.entities,
      providerConfig: {
        signIn: aliceByEmail.signIn,
      },
    });
  });

  afterAll(async () => {
    await backend.stop();
    await simulator.stop();
  });

  async function callback(query: string, cookie: string) {
    const res = await fetch(
      `${backend.backendUrl}/api/auth/bitbucket/handler/frame?${query}`,
      {
        headers: { cookie },
        redirect: 'manual',
      },
    );
    const body = await res.text();
    try {
      // the popup page carries its message URI-encoded
      return { status: res.status, body: decodeURIComponent(body) };
    } catch {
      return { status: res.status, body };
    }
  }

  function expectCleanRefusal(result: { status: number; body: string }) {
    expect(result.status).toBeLessThan(500);
    expect(result.body).not.toMatch(/backstageIdentity|accessToken/);
    expect(result.body).not.toMatch(/\bat [\w.<>]+ \(|node_modules/); // no stack trace
  }

  it.each([
    [
      'no code',
      (p: URLSearchParams) => `state=${p.get('state')}`,
      /authorization code/,
    ],
    [
      'a garbage code',
      (p: URLSearchParams) => `code=garbage&state=${p.get('state')}`,
      /did not accept the authorization code/,
    ],
    [
      'two codes',
      (p: URLSearchParams) =>
        `code=${p.get('code')}&code=${p.get('code')}&state=${p.get('state')}`,
      /"name":"InputError","message":"The Bitbucket callback's code parameter must appear once/,
    ],
    [
      'no state',
      (p: URLSearchParams) => `code=${p.get('code')}`,
      /"name":"InputError","message":"Must specify 'env' query/,
    ],
    [
      'a garbage state',
      (p: URLSearchParams) => `code=${p.get('code')}&state=%%%garbage`,
      /"name":"NotAllowedError","message":"OAuth state is invalid/,
    ],
    [
      'two states',
      (p: URLSearchParams) =>
        `code=${p.get('code')}&state=${p.get('state')}&state=${p.get('state')}`,
      /"name":"InputError","message":"The Bitbucket callback's state parameter must appear once, as plain text; start the sign-in again"/,
    ],
    [
      'a server error from Bitbucket',
      (p: URLSearchParams) =>
        `error=server_error&error_description=Something+broke&state=${p.get(
          'state',
        )}`,
      /Bitbucket Cloud failed: GET \/site\/oauth2\/authorize answered server_error \(Something broke\)/,
    ],
    [
      'an endless error description',
      (p: URLSearchParams) =>
        `error=access_denied&error_description=${'x'.repeat(
          5_000,
        )}&state=${p.get('state')}`,
      /declined \(x{200}\)\./,
    ],
    [
      'a refused authorization request',
      (p: URLSearchParams) => `error=invalid_scope&state=${p.get('state')}`,
      /refused the authorization request \(invalid_scope: invalid_scope\)\. Check the OAuth consumer's callback URL/,
    ],
  ])('refuses a callback with %s cleanly', async (_, query, message) => {
    const { cookie, params } = await startedSignIn(
      backend.backendUrl,
      simulator,
    );
    const result = await callback(query(params), cookie);
    expectCleanRefusal(result);
    expect(result.body).toMatch(message);
  });

  it('ignores a large unknown parameter and signs in', async () => {
    // under Node's 16 KiB header limit, so the module, not Node, sees it
    const { cookie, params } = await startedSignIn(
      backend.backendUrl,
      simulator,
    );
    const result = await callback(
      `code=${params.get('code')}&state=${params.get(
        'state',
      )}&junk=${'x'.repeat(8_000)}`,
      cookie,
    );
    expect(result.status).toBe(200);
    expect(result.body).toContain('"userEntityRef":"user:default/alice"');
  });

  it.each([
    ['an origin', 'origin=http%3A%2F%2Fevil.example'],
    [
      'a redirectUrl',
      'origin=http%3A%2F%2Flocalhost%3A3000&flow=redirect&redirectUrl=http%3A%2F%2Fevil.example%2Fsteal',
    ],
    [
      'a malformed redirectUrl',
      'origin=http%3A%2F%2Flocalhost%3A3000&flow=redirect&redirectUrl=not-a-url',
    ],
  ])(
    'refuses to start a sign-in that would return to %s outside the app',
    async (_, query) => {
      const start = await fetch(
        `${backend.backendUrl}/api/auth/bitbucket/start?env=development&${query}`,
        {
          redirect: 'manual',
        },
      );
      const body = await start.text();
      // refused by the framework (auth-node 0.7): 403, or 400 when unparsable
      expect([400, 403]).toContain(start.status);
      expect(body).toMatch(/not allowed|not an allowed origin|invalid/);
      expect(start.headers.get('location')).toBeNull();
    },
  );

  it('never redirects a forged callback outside the app', async () => {
    const state = forgedState({
      flow: 'redirect',
      redirectUrl: 'https://evil.example/phish',
    });
    const res = await fetch(
      `${backend.backendUrl}/api/auth/bitbucket/handler/frame?state=${state}`,
      { redirect: 'manual' },
    );
    await res.text();
    // the framework (auth-node 0.7) sends a refused redirect-flow callback to the app
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get('location')!).origin).toBe(
      'http://localhost:3000',
    );
  });

  it('never posts the outcome of a forged callback to an origin outside the app', async () => {
    const state = forgedState({
      origin: 'https://evil.example',
    });
    const result = await callback(`state=${state}`, '');
    expectCleanRefusal(result);
    expect(result.status).toBe(403);
    expect(postMessageTarget(result.body)).toBeUndefined();
    expect(result.body).toContain('is not an origin of this Backstage app');
  });

  it.each([
    [
      'a repeated state',
      (forged: string) => `state=${forged}&state=x`,
      'state',
    ],
    ['a state list', (forged: string) => `state[]=${forged}`, 'state'],
    ['a state object', (forged: string) => `state[a]=${forged}`, 'state'],
    [
      'a repeated code',
      (forged: string) => `code=a&code=b&state=${forged}`,
      'code',
    ],
    [
      'a repeated error',
      (forged: string) => `error=a&error=b&state=${forged}`,
      'error',
    ],
  ])(
    'refuses %s before anything reads it, posting nothing to the forged origin',
    async (_, query, parameter) => {
      const forged = forgedState({
        origin: 'https://evil.example',
      });
      const result = await callback(query(forged), '');
      expect(result.status).toBe(400);
      expect(postMessageTarget(result.body)).toBeUndefined();
      expect(result.body).toContain(
        `The Bitbucket callback's ${parameter} parameter must appear once`,
      );
    },
  );

  it('still posts the outcome of a callback from the app to the app', async () => {
    const { cookie, params } = await startedSignIn(
      backend.backendUrl,
      simulator,
    );
    const result = await callback(params.toString(), cookie);
    expect(postMessageTarget(result.body)).toBe('http://localhost:3000');
    expect(result.body).toContain('backstageIdentity');
  });

  it('still follows a redirectUrl inside the app', async () => {
    const start = await fetch(
      `${
        backend.backendUrl
      }/api/auth/bitbucket/start?env=development&origin=http%3A%2F%2Flocalhost%3A3000&flow=redirect&redirectUrl=${encodeURIComponent(
        'http://localhost:3000/catalog',
      )}`,
      { redirect: 'manual' },
    );
    expect(start.status).toBe(302);
  });
});
