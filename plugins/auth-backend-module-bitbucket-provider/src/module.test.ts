import publicBitbucketModule from '@backstage/plugin-auth-backend-module-bitbucket-provider';
import {
  decodeOAuthState,
  encodeOAuthState,
} from '@backstage/plugin-auth-node';
import {
  BitbucketSimulator,
  startBitbucketSimulator,
} from '@bitbucket-signin/bitbucket-cloud-simulator';
import {
  CALLBACK_URL,
  startAuthBackend,
  userEntity,
  testConsumer,
} from './__testUtils__/startAuthBackend';
import {
  decodeBackstageToken,
  refreshBackstageSession,
  signInThroughBackstage,
} from '@bitbucket-signin/test-kit';

const consumer = testConsumer('module-test');

const entities = [
  userEntity('alice', { profile: { email: 'alice@example.com' } }),
  userEntity('bob', { profile: { email: 'bob.brown@example.com' } }),
  userEntity('carol', {}, { 'bitbucket.org/username': 'carol-bb' }),
  userEntity('mallory', { profile: { email: 'mallory@evil.example' } }),
];

const resolvers = [
  { resolver: 'emailMatchingUserEntityProfileEmail' },
  { resolver: 'userIdMatchingUserEntityAnnotation' },
  { resolver: 'usernameMatchingUserEntityAnnotation' },
];

describe('authModuleBitbucketProvider in a real auth backend', () => {
  let simulator: BitbucketSimulator;
  let backend: Awaited<ReturnType<typeof startAuthBackend>> | undefined;
  let backendUrl: string;

  async function startBackend(providerConfig: Record<string, unknown> = {}) {
    backend = await startAuthBackend({
      simulator,
      consumer,
      entities,
      providerConfig: { signIn: { resolvers }, ...providerConfig },
    });
    backendUrl = backend.backendUrl;
  }

  function signIn(
    username: string,
    extra: Partial<Parameters<typeof signInThroughBackstage>[0]> = {},
  ) {
    return signInThroughBackstage({
      backendUrl,
      consent: url => simulator.approve(url, username),
      ...extra,
    });
  }

  // set while the tests of one describe share one backend and simulator
  let shared = false;

  afterEach(async () => {
    if (shared) return;
    await backend?.stop();
    backend = undefined;
    await simulator?.stop();
  });

  describe('with a working Bitbucket', () => {
    beforeAll(async () => {
      shared = true;
      simulator = await startBitbucketSimulator({ consumers: [consumer] });
      await startBackend();
    });

    beforeEach(() => {
      simulator.clearFaults();
      simulator.resetRequestCounts();
    });

    afterAll(async () => {
      shared = false;
      await backend?.stop();
      backend = undefined;
      await simulator.stop();
    });

    it('signs in with the confirmed email, in one token call and one round trip of profile calls', async () => {
      const outcome = await signIn('alice-bb');
      expect(outcome.error).toBeUndefined();
      const { response } = outcome;
      expect(response?.backstageIdentity?.identity.userEntityRef).toBe(
        'user:default/alice',
      );
      expect(decodeBackstageToken(response!.backstageIdentity!.token).sub).toBe(
        'user:default/alice',
      );
      // the token no longer carries `ent`; the app gets the refs beside it
      expect(response?.backstageIdentity?.identity.ownershipEntityRefs).toEqual(
        expect.arrayContaining([
          'user:default/alice',
          'group:default/platform',
        ]),
      );
      expect(response?.profile).toEqual({
        email: 'alice@example.com',
        displayName: 'Alice Anderson',
        picture: expect.stringMatching(
          /^http:\/\/127\.0\.0\.1:\d+\/avatars\/alice-bb/,
        ),
      });
      expect(response?.providerInfo.scope).toBe('account email');
      expect(simulator.requestCounts()).toMatchObject({
        '/site/oauth2/access_token': 1,
        '/2.0/user': 1,
        '/2.0/user/emails': 1,
      });
    });

    it('sends Bitbucket only the authorize parameters it understands', async () => {
      await signIn('alice-bb');
      const [params] = simulator.authorizeRequests();
      expect(Object.keys(params).sort()).toEqual([
        'client_id',
        'redirect_uri',
        'response_type',
        'state',
      ]);
      expect(params).toMatchObject({
        client_id: consumer.key,
        response_type: 'code',
        redirect_uri: CALLBACK_URL,
      });
    });

    it('never signs anyone in through an unconfirmed address', async () => {
      // mallory-bb lists alice@example.com as an unconfirmed primary address
      const outcome = await signIn('mallory-bb');
      expect(outcome.response?.profile.email).toBe('mallory@evil.example');
      expect(outcome.response?.backstageIdentity?.identity.userEntityRef).toBe(
        'user:default/mallory',
      );
      expect(outcome.body).not.toContain('alice@example.com');
    });

    it('uses the first confirmed address when the primary one is unconfirmed', async () => {
      const outcome = await signIn('bob-bb');
      expect(outcome.response?.profile.email).toBe('bob.brown@example.com');
      expect(outcome.response?.backstageIdentity?.identity.userEntityRef).toBe(
        'user:default/bob',
      );
    });

    it('passes over the email resolver for a user without confirmed email, to the annotations', async () => {
      const outcome = await signIn('carol-bb');
      expect(outcome.response?.profile.email).toBeUndefined();
      expect(outcome.response?.backstageIdentity?.identity.userEntityRef).toBe(
        'user:default/carol',
      );
    });

    it('tells a user missing from the catalog what was looked for', async () => {
      const outcome = await signIn('grace-bb');
      expect(outcome.response).toBeUndefined();
      expect(outcome.error?.message).toContain(
        'Your Bitbucket account grace-bb is not in this Backstage catalog yet',
      );
      expect(outcome.error?.message).toContain(
        'no User entity with annotation bitbucket.org/username=grace-bb',
      );
    });

    it('refreshes: refresh grant, profile and resolvers again', async () => {
      const first = await signIn('alice-bb');
      simulator.resetRequestCounts();
      const refreshed = await refreshBackstageSession({
        backendUrl,
        cookies: first.cookies,
      });
      expect(refreshed.status).toBe(200);
      expect(refreshed.body.backstageIdentity.identity.userEntityRef).toBe(
        'user:default/alice',
      );
      expect(refreshed.body.providerInfo.accessToken).not.toBe(
        first.response?.providerInfo.accessToken,
      );
      expect(refreshed.body.profile.email).toBe('alice@example.com');
      expect(simulator.requestCounts()).toEqual({
        '/site/oauth2/access_token': 1,
        '/2.0/user': 1,
        '/2.0/user/emails': 1,
      });
    });

    it('ends the session cleanly when the refresh token was revoked', async () => {
      const first = await signIn('alice-bb');
      simulator.revokeRefreshTokens('alice-bb');
      const refreshed = await refreshBackstageSession({
        backendUrl,
        cookies: first.cookies,
      });
      expect(refreshed.status).toBe(401);
      expect(refreshed.text).toContain('no longer accepts this session');
      expect(refreshed.text).not.toContain(consumer.secret);
    });

    it('rejects a callback whose state carries another nonce', async () => {
      const outcome = await signIn('alice-bb', {
        tamper: url => {
          const state = decodeOAuthState(url.searchParams.get('state')!);
          url.searchParams.set(
            'state',
            encodeOAuthState({ ...state, nonce: 'forged' }),
          );
        },
      });
      expect(outcome.response).toBeUndefined();
      expect(outcome.error?.message).toBe('Invalid nonce');
    });

    it('rejects a callback whose state is garbage, without a token or a stack trace', async () => {
      const outcome = await signIn('alice-bb', {
        tamper: url => url.searchParams.set('state', 'not-a-state'),
      });
      expect(outcome.response?.backstageIdentity).toBeUndefined();
      expect(outcome.status).toBeLessThan(500);
      expect(outcome.body).not.toMatch(/\bat .*\.js:\d+/);
    });

    it('rejects a callback without the nonce cookie from start', async () => {
      const outcome = await signIn('alice-bb', { overrideCookies: [] });
      expect(outcome.response).toBeUndefined();
      expect(outcome.error?.message).toMatch(/nonce/i);
    });

    it('rejects an authorization code used twice', async () => {
      let usedCode = '';
      const first = await signIn('alice-bb', {
        tamper: url => {
          usedCode = url.searchParams.get('code')!;
        },
      });
      expect(first.response?.backstageIdentity).toBeDefined();
      const replay = await signIn('alice-bb', {
        tamper: url => url.searchParams.set('code', usedCode),
      });
      expect(replay.response).toBeUndefined();
      expect(replay.error?.message).toContain(
        'did not accept the authorization code (invalid_grant',
      );
    });

    it('tells the user who denied consent how to go on', async () => {
      const outcome = await signInThroughBackstage({
        backendUrl,
        consent: url => simulator.deny(url),
      });
      expect(outcome.response).toBeUndefined();
      expect(outcome.error?.message).toContain(
        'Bitbucket sign-in was declined',
      );
    });

    it('reports a failing Bitbucket clearly, without leaking secrets, and works again after', async () => {
      simulator.addFault({
        path: '/2.0/user/emails',
        kind: 'status',
        status: 503,
        times: 2,
      });
      const failed = await signIn('alice-bb');
      expect(failed.response).toBeUndefined();
      expect(failed.error?.message).toContain(
        'Bitbucket Cloud failed: GET /2.0/user/emails answered HTTP 503',
      );
      expect(failed.body).not.toContain(consumer.secret);
      expect(failed.body).not.toMatch(/access_token|refresh_token/);
      const next = await signIn('alice-bb');
      expect(next.response?.backstageIdentity?.identity.userEntityRef).toBe(
        'user:default/alice',
      );
    });
  });

  it('names the missing Email permission when the consumer lacks it', async () => {
    simulator = await startBitbucketSimulator({
      consumers: [{ ...consumer, scopes: ['account'] }],
    });
    await startBackend();
    const outcome = await signIn('alice-bb');
    expect(outcome.error?.name).toBe('NotAllowedError');
    expect(outcome.error?.message).toContain('GET /2.0/user/emails (HTTP 403');
    expect(outcome.error?.message).toContain(
      'OAuth consumer permission "Account: Email"',
    );
  });

  it('names the client id and secret config keys when Bitbucket rejects the credentials', async () => {
    simulator = await startBitbucketSimulator({
      consumers: [{ ...consumer, secret: 'a-different-secret' }],
    });
    await startBackend();
    const outcome = await signIn('alice-bb');
    expect(outcome.error?.message).toContain(
      'rejected the OAuth consumer credentials (invalid_client',
    );
    expect(outcome.error?.message).toContain(
      'auth.providers.bitbucket.<environment>.clientId',
    );
    expect(outcome.body).not.toContain(consumer.secret);
    expect(outcome.body).not.toContain('a-different-secret');
  });

  it('gives up on a hanging Bitbucket after the configured timeout', async () => {
    simulator = await startBitbucketSimulator({ consumers: [consumer] });
    await startBackend({ timeout: 400 });
    simulator.addFault({ path: '/site/oauth2/access_token', kind: 'hang' });
    const started = Date.now();
    const outcome = await signIn('alice-bb');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(outcome.error?.message).toContain(
      'Bitbucket Cloud failed: POST /site/oauth2/access_token (authorization_code) did not answer within auth.providers.bitbucket.<environment>.timeout',
    );
  });

  it('stores a rotated refresh token', async () => {
    simulator = await startBitbucketSimulator({ consumers: [consumer] });
    await startBackend();
    const first = await signIn('alice-bb');
    const refreshed = await refreshBackstageSession({
      backendUrl,
      cookies: first.cookies,
    });
    expect(refreshed.status).toBe(200);
    const oldCookie = first.cookies.find(c =>
      c.startsWith('bitbucket-refresh-token='),
    );
    const newCookie = refreshed.cookies.find(c =>
      c.startsWith('bitbucket-refresh-token='),
    );
    expect(newCookie).toBeDefined();
    expect(newCookie).not.toBe(oldCookie);
    const again = await refreshBackstageSession({
      backendUrl,
      cookies: [newCookie!],
    });
    expect(again.status).toBe(200);
  });

  it('fails start-up naming the config path of a missing client secret', async () => {
    simulator = await startBitbucketSimulator({ consumers: [consumer] });
    await expect(startBackend({ clientSecret: undefined })).rejects.toThrow(
      /auth\.providers\.bitbucket\.development\.clientSecret/,
    );
  });

  it.each([
    [
      'a misspelt key',
      { clientId: undefined, clientID: consumer.key },
      'auth.providers.bitbucket.development.clientID is not a Bitbucket provider setting; did you mean clientId?',
    ],
    [
      'a missing client id',
      { clientId: undefined },
      "auth.providers.bitbucket.development.clientId is missing: it is the OAuth consumer's Key (Bitbucket: Workspace settings > OAuth consumers). Set it in app-config.yaml, or in app-config.local.yaml",
    ],
  ])(
    'fails start-up on %s, naming the key and where to set it',
    async (_, providerConfig, message) => {
      simulator = await startBitbucketSimulator({ consumers: [consumer] });
      await expect(startBackend(providerConfig)).rejects.toThrow(message);
    },
  );

  it('cannot run beside the public Bitbucket module: the backend refuses to start', async () => {
    simulator = await startBitbucketSimulator({ consumers: [consumer] });
    await expect(
      startAuthBackend({
        simulator,
        consumer,
        entities,
        extraFeatures: [publicBitbucketModule],
      }),
    ).rejects.toThrow(
      "Module 'bitbucket-provider' for plugin 'auth' is already registered",
    );
  });
});
