import { demoConsumer } from './demoData';
import { startBitbucketSimulator } from './server';
import {
  authorizeUrlFor,
  codeFrom,
  getApi,
  postToken,
  signIn,
  TokenBody,
} from './testHelpers';
import { BitbucketSimulator } from './types';

const callback = demoConsumer.callbackUrl;

describe('OAuth 2.0 endpoints', () => {
  let sim: BitbucketSimulator;

  beforeAll(async () => {
    sim = await startBitbucketSimulator();
  });

  afterAll(async () => {
    await sim.stop();
  });

  describe('GET /site/oauth2/authorize', () => {
    it('shows a consent page with the scopes, a button per user and Deny', async () => {
      const res = await fetch(authorizeUrlFor(sim, { state: 'a"b<c' }));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const html = await res.text();
      expect(html).toContain('<title>Authorize Backstage (simulator)</title>');
      expect(html).toContain(
        '<form method="post" action="/site/oauth2/authorize">',
      );
      expect(html).toContain('Read your account information');
      expect(html).toContain('Read your email addresses');
      expect(html).toContain('Read your workspace membership information');
      for (const username of [
        'alice-bb',
        'bob-bb',
        'carol-bb',
        'mallory-bb',
        'dave-bb',
        'grace-bb',
      ]) {
        expect(html).toContain(`data-testid="consent-user-${username}"`);
      }
      expect(html).toMatch(
        /<button type="submit" name="user" value="alice-bb" data-testid="consent-user-alice-bb">Alice Anderson \(alice-bb\)<\/button>/,
      );
      expect(html).toContain(
        '<button type="submit" name="decision" value="deny" class="deny" data-testid="consent-deny">Deny</button>',
      );
      // each user's hint names the address sign-in uses (the primary if
      // confirmed, else the first confirmed one) and marks the others
      expect(html).toContain(
        'bob.brown@example.com · also bob@example.com (unconfirmed)',
      );
      expect(html).toContain(
        'no confirmed email · also carol@example.com (unconfirmed)',
      );
      expect(html).toContain(
        'mallory@evil.example · also alice@example.com (unconfirmed)',
      );
      expect(html).not.toMatch(/bob@example.com \(confirmed\)/);
      // the state is carried forward, escaped
      expect(html).toContain(
        '<input type="hidden" name="state" value="a&quot;b&lt;c">',
      );
      expect(html).toContain(
        `<input type="hidden" name="redirect_uri" value="${callback}">`,
      );
    });

    it('records the query of every authorize request', async () => {
      const before = sim.authorizeRequests().length;
      await fetch(authorizeUrlFor(sim, { state: 'recorded' }));
      const recorded = sim.authorizeRequests();
      expect(recorded).toHaveLength(before + 1);
      expect(recorded[recorded.length - 1]).toEqual({
        client_id: demoConsumer.key,
        response_type: 'code',
        state: 'recorded',
        redirect_uri: callback,
      });
    });

    it('answers 400 HTML for an unknown client_id', async () => {
      const res = await fetch(authorizeUrlFor(sim, { client_id: 'nope' }));
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await res.text()).toContain('Invalid client_id');
    });

    it('answers 400 HTML when redirect_uri does not start with the callback URL', async () => {
      const res = await fetch(
        authorizeUrlFor(sim, { redirect_uri: 'https://evil.example/cb' }),
      );
      expect(res.status).toBe(400);
      expect(await res.text()).toContain(
        'redirect_uri does not match the consumer&#39;s callback URL',
      );
    });

    it('accepts a redirect_uri that extends the callback URL', async () => {
      const location = await sim.approve(
        authorizeUrlFor(sim, { redirect_uri: `${callback}?env=dev` }),
        'alice-bb',
      );
      expect(location).toMatch(
        new RegExp(
          `^${callback.replace(
            /[.?]/g,
            '\\$&',
          )}\\?env=dev&code=[\\w-]+&state=state-123$`,
        ),
      );
    });

    it('redirects with unsupported_response_type for another response_type', async () => {
      const res = await fetch(
        authorizeUrlFor(sim, { response_type: 'token' }),
        {
          redirect: 'manual',
        },
      );
      expect(res.status).toBe(302);
      const location = new URL(res.headers.get('location')!);
      expect(`${location.origin}${location.pathname}`).toBe(callback);
      expect(location.searchParams.get('error')).toBe(
        'unsupported_response_type',
      );
      expect(location.searchParams.get('state')).toBe('state-123');
    });
  });

  describe('POST /site/oauth2/authorize', () => {
    const consentForm = (extra: Record<string, string>) =>
      new URLSearchParams({
        client_id: demoConsumer.key,
        response_type: 'code',
        state: 'st',
        redirect_uri: callback,
        ...extra,
      });

    it('redirects with a code and the state when the user picks an account', async () => {
      const res = await fetch(sim.authorizationUrl, {
        method: 'POST',
        body: consentForm({ user: 'bob-bb' }),
        redirect: 'manual',
      });
      expect(res.status).toBe(302);
      const location = res.headers.get('location')!;
      expect(location).toMatch(
        new RegExp(
          `^${callback.replace(/[.?]/g, '\\$&')}\\?code=[\\w-]{20,}&state=st$`,
        ),
      );
      const token = await postToken(sim, {
        grant_type: 'authorization_code',
        code: codeFrom(location),
      });
      expect(token.status).toBe(200);
      const { access_token } = (await token.json()) as TokenBody;
      const user = await getApi(sim, '/2.0/user', access_token);
      expect(((await user.json()) as { username: string }).username).toBe(
        'bob-bb',
      );
    });

    it('redirects with access_denied when the user denies', async () => {
      const res = await fetch(sim.authorizationUrl, {
        method: 'POST',
        body: consentForm({ decision: 'deny' }),
        redirect: 'manual',
      });
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe(
        `${callback}?error=access_denied&error_description=The+user+denied+access&state=st`,
      );
    });

    it('checks the client and the redirect_uri again', async () => {
      const unknownClient = await fetch(sim.authorizationUrl, {
        method: 'POST',
        body: consentForm({ client_id: 'nope', user: 'alice-bb' }),
        redirect: 'manual',
      });
      expect(unknownClient.status).toBe(400);
      const badRedirect = await fetch(sim.authorizationUrl, {
        method: 'POST',
        body: consentForm({
          redirect_uri: 'http://localhost:3000/elsewhere',
          user: 'alice-bb',
        }),
        redirect: 'manual',
      });
      expect(badRedirect.status).toBe(400);
      expect(await badRedirect.text()).toContain('redirect_uri does not match');
    });

    it('counts the consent GET and POST under /site/oauth2/authorize', async () => {
      sim.resetRequestCounts();
      await sim.approve(authorizeUrlFor(sim), 'alice-bb');
      expect(sim.requestCounts()).toEqual({ '/site/oauth2/authorize': 2 });
    });
  });

  describe('approve() and deny()', () => {
    it('deny() returns the access_denied redirect', async () => {
      await expect(sim.deny(authorizeUrlFor(sim))).resolves.toBe(
        `${callback}?error=access_denied&error_description=The+user+denied+access&state=state-123`,
      );
    });

    it('omits the state when the request had none, and uses the callback URL without redirect_uri', async () => {
      const url = `${sim.authorizationUrl}?client_id=${demoConsumer.key}&response_type=code`;
      const location = await sim.approve(url, 'alice-bb');
      expect(location).toMatch(new RegExp(`^${callback}\\?code=[\\w-]+$`));
    });

    it('rejects an unknown user or an invalid request', async () => {
      await expect(sim.approve(authorizeUrlFor(sim), 'nobody')).rejects.toThrow(
        'unknown user "nobody"',
      );
      await expect(
        sim.approve(authorizeUrlFor(sim, { client_id: 'nope' }), 'alice-bb'),
      ).rejects.toThrow('Invalid client_id');
    });
  });

  describe('POST /site/oauth2/access_token', () => {
    it('exchanges a code for tokens in the shape Bitbucket uses', async () => {
      const location = await sim.approve(authorizeUrlFor(sim), 'alice-bb');
      const res = await postToken(sim, {
        grant_type: 'authorization_code',
        code: codeFrom(location),
        redirect_uri: callback,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(
        'application/json; charset=utf-8',
      );
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = (await res.json()) as TokenBody;
      expect(Object.keys(body)).toEqual([
        'access_token',
        'scope',
        'expires_in',
        'refresh_token',
        'token_type',
        'state',
      ]);
      expect(body).toEqual({
        access_token: expect.stringMatching(/^[\w-]{40,}$/),
        scope: 'account email team',
        expires_in: 7200,
        refresh_token: expect.stringMatching(/^[\w-]{40,}$/),
        token_type: 'bearer',
        state: 'authorization_code',
      });
      expect(body.refresh_token).not.toBe(body.access_token);
    });

    it('accepts client credentials as form fields (node-oauth style)', async () => {
      const location = await sim.approve(authorizeUrlFor(sim), 'alice-bb');
      const res = await postToken(
        sim,
        {
          grant_type: 'authorization_code',
          code: codeFrom(location),
          redirect_uri: callback,
        },
        { clientAuth: 'form' },
      );
      expect(res.status).toBe(200);
      expect(((await res.json()) as TokenBody).state).toBe(
        'authorization_code',
      );
    });

    it('accepts a code once only', async () => {
      const code = codeFrom(
        await sim.approve(authorizeUrlFor(sim), 'alice-bb'),
      );
      const first = await postToken(sim, {
        grant_type: 'authorization_code',
        code,
      });
      expect(first.status).toBe(200);
      const second = await postToken(sim, {
        grant_type: 'authorization_code',
        code,
      });
      expect(second.status).toBe(400);
      expect(await second.json()).toEqual({
        error: 'invalid_grant',
        error_description: expect.any(String),
      });
    });

    it('answers 401 invalid_client for a wrong secret, an unknown key or no credentials', async () => {
      const code = codeFrom(
        await sim.approve(authorizeUrlFor(sim), 'alice-bb'),
      );
      for (const options of [
        { consumer: { key: demoConsumer.key, secret: 'wrong' } },
        { consumer: { key: 'unknown', secret: demoConsumer.secret } },
        {
          consumer: { key: demoConsumer.key, secret: 'wrong' },
          clientAuth: 'form' as const,
        },
        { clientAuth: 'none' as const },
      ]) {
        const res = await postToken(
          sim,
          { grant_type: 'authorization_code', code },
          options,
        );
        expect(res.status).toBe(401);
        expect(await res.json()).toEqual({
          error: 'invalid_client',
          error_description: expect.any(String),
        });
      }
      // the failed attempts did not use the code up
      const ok = await postToken(sim, {
        grant_type: 'authorization_code',
        code,
      });
      expect(ok.status).toBe(200);
    });

    it('answers invalid_grant for an unknown code', async () => {
      const res = await postToken(sim, {
        grant_type: 'authorization_code',
        code: 'made-up',
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe(
        'invalid_grant',
      );
    });

    it('answers invalid_grant when redirect_uri differs from the authorize request', async () => {
      const code = codeFrom(
        await sim.approve(authorizeUrlFor(sim), 'alice-bb'),
      );
      const res = await postToken(sim, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: `${callback}/other`,
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        error: 'invalid_grant',
        error_description:
          'redirect_uri does not match the one of the authorization request',
      });
    });

    it('answers invalid_grant for a code issued to another consumer', async () => {
      const other = {
        key: 'other-key',
        secret: 'other-secret',
        callbackUrl: 'http://localhost:3000/cb',
        scopes: ['account'],
      };
      const two = await startBitbucketSimulator({
        consumers: [demoConsumer, other],
      });
      try {
        const code = codeFrom(
          await two.approve(authorizeUrlFor(two), 'alice-bb'),
        );
        const res = await postToken(
          two,
          { grant_type: 'authorization_code', code },
          { consumer: other },
        );
        expect(res.status).toBe(400);
        expect(((await res.json()) as { error: string }).error).toBe(
          'invalid_grant',
        );
      } finally {
        await two.stop();
      }
    });

    it('answers unsupported_grant_type for other grant types, invalid_request without one', async () => {
      const password = await postToken(sim, {
        grant_type: 'password',
        username: 'alice-bb',
        password: 'x',
      });
      expect(password.status).toBe(400);
      expect(((await password.json()) as { error: string }).error).toBe(
        'unsupported_grant_type',
      );
      const none = await postToken(sim, {});
      expect(none.status).toBe(400);
      expect(((await none.json()) as { error: string }).error).toBe(
        'invalid_request',
      );
    });
  });
});

describe('OAuth 2.0 endpoints with short lifetimes', () => {
  let sim: BitbucketSimulator;

  beforeAll(async () => {
    sim = await startBitbucketSimulator({
      authorizationCodeTtlSeconds: 0.05,
      accessTokenTtlSeconds: 0.05,
    });
  });

  afterAll(async () => {
    await sim.stop();
  });

  const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

  it('answers invalid_grant for an expired code', async () => {
    const code = codeFrom(await sim.approve(authorizeUrlFor(sim), 'alice-bb'));
    await sleep(100);
    const res = await postToken(sim, {
      grant_type: 'authorization_code',
      code,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: 'invalid_grant',
      error_description: 'The authorization code has expired',
    });
  });

  it('expires access tokens after their lifetime', async () => {
    const tokens = await signIn(sim, 'alice-bb');
    expect(tokens.expires_in).toBe(0.05);
    await sleep(100);
    const res = await getApi(sim, '/2.0/user', tokens.access_token);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      type: 'error',
      error: { message: 'Access token expired.' },
    });
  });
});
