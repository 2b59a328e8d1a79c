import { demoConsumer } from './demoData';
import { startBitbucketSimulator } from './server';
import { getApi, signIn } from './testHelpers';
import { BitbucketSimulator } from './types';

interface ListBody<T = Record<string, unknown>> {
  pagelen: number;
  size: number;
  page: number;
  values: T[];
  next?: string;
}

describe('REST API /2.0', () => {
  let sim: BitbucketSimulator;

  beforeAll(async () => {
    sim = await startBitbucketSimulator();
  });

  afterAll(async () => {
    await sim.stop();
  });

  it('GET /2.0/user answers the user in Bitbucket shape', async () => {
    const { access_token } = await signIn(sim, 'alice-bb');
    const res = await getApi(sim, '/2.0/user', access_token);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(
      'application/json; charset=utf-8',
    );
    expect(await res.json()).toEqual({
      type: 'user',
      uuid: '{4b3fc47c-f21d-4942-bc5c-5ad7ca0f1a3e}',
      account_id: '557058:15824d17-14cf-4b7b-808c-0f9645cd70e3',
      username: 'alice-bb',
      nickname: 'alice',
      display_name: 'Alice Anderson',
      account_status: 'active',
      links: {
        avatar: { href: `${sim.url}/avatars/alice-bb.svg` },
        html: {
          href: `${sim.url}/%7B4b3fc47c-f21d-4942-bc5c-5ad7ca0f1a3e%7D/`,
        },
        self: {
          href: `${sim.apiBaseUrl}/users/%7B4b3fc47c-f21d-4942-bc5c-5ad7ca0f1a3e%7D`,
        },
      },
      created_on: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('serves each user a picture of their own, never initials (what Backstage shows when an avatar fails)', async () => {
    const svg = async (username: string) => {
      const res = await fetch(`${sim.url}/avatars/${username}.svg`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/svg+xml');
      return res.text();
    };
    const alice = await svg('alice-bb');
    expect(alice).toMatch(/^<svg[^>]*>.*<\/svg>$/);
    expect(alice).not.toContain('<text');
    // a 5x5 mirrored pattern of squares, one per username
    expect(alice.match(/<rect /g)!.length).toBeGreaterThan(4);
    expect(await svg('bob-bb')).not.toBe(alice);
    expect((await fetch(`${sim.url}/avatars/nobody.svg`)).status).toBe(404);
  });

  it('GET /2.0/user/emails lists confirmed and unconfirmed addresses', async () => {
    const { access_token } = await signIn(sim, 'bob-bb');
    const res = await getApi(sim, '/2.0/user/emails', access_token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      pagelen: 10,
      size: 2,
      page: 1,
      values: [
        {
          type: 'email',
          email: 'bob@example.com',
          is_primary: true,
          is_confirmed: false,
          links: {},
        },
        {
          type: 'email',
          email: 'bob.brown@example.com',
          is_primary: false,
          is_confirmed: true,
          links: {},
        },
      ],
    });
  });

  it("paginates dave's 16 emails: follow next, last page has none", async () => {
    const { access_token } = await signIn(sim, 'dave-bb');
    const first = (await (
      await getApi(sim, '/2.0/user/emails', access_token)
    ).json()) as ListBody<{ email: string }>;
    expect(first.size).toBe(16);
    expect(first.values).toHaveLength(10);
    expect(first.next).toBe(`${sim.apiBaseUrl}/user/emails?page=2`);

    const second = (await (
      await getApi(sim, first.next!, access_token)
    ).json()) as ListBody<{ email: string }>;
    expect(second.page).toBe(2);
    expect(second.values).toHaveLength(6);
    expect(second.next).toBeUndefined();
    const all = [...first.values, ...second.values].map(e => e.email);
    expect(new Set(all).size).toBe(16);
    expect(all).toContain('dave@example.com');
    expect(all).toContain('dave+15@example.com');
  });

  it('keeps pagelen in next and clamps it at 100', async () => {
    const { access_token } = await signIn(sim, 'dave-bb');
    const small = (await (
      await getApi(sim, '/2.0/user/emails?pagelen=5', access_token)
    ).json()) as ListBody;
    expect(small.pagelen).toBe(5);
    expect(small.next).toBe(`${sim.apiBaseUrl}/user/emails?pagelen=5&page=2`);

    const big = (await (
      await getApi(sim, '/2.0/user/emails?pagelen=1000', access_token)
    ).json()) as ListBody;
    expect(big.pagelen).toBe(100);
    expect(big.values).toHaveLength(16);
    expect(big.next).toBeUndefined();
  });

  it('reflects updateUser in later responses', async () => {
    const own = await startBitbucketSimulator();
    try {
      const { access_token } = await signIn(own, 'alice-bb');
      own.updateUser('alice-bb', {
        workspaces: [],
        emails: [
          { email: 'new@example.com', isPrimary: true, isConfirmed: true },
        ],
        displayName: 'Alice A.',
      });
      const user = (await (
        await getApi(own, '/2.0/user', access_token)
      ).json()) as any;
      expect(user.display_name).toBe('Alice A.');
      expect(user.username).toBe('alice-bb');
      const emails = (await (
        await getApi(own, '/2.0/user/emails', access_token)
      ).json()) as ListBody<any>;
      expect(emails.values.map(e => e.email)).toEqual(['new@example.com']);
      const workspaces = (await (
        await getApi(own, '/2.0/user/workspaces', access_token)
      ).json()) as ListBody;
      expect(workspaces.size).toBe(0);
      expect(() => own.updateUser('nobody', {})).toThrow('unknown user');
    } finally {
      await own.stop();
    }
    // other simulators (and demoUsers) are unaffected
    const { access_token } = await signIn(sim, 'alice-bb');
    const user = (await (
      await getApi(sim, '/2.0/user', access_token)
    ).json()) as any;
    expect(user.display_name).toBe('Alice Anderson');
  });

  it('answers 401 without a token, with an unknown token, and after expireAccessTokens()', async () => {
    const noToken = await fetch(`${sim.apiBaseUrl}/user`);
    expect(noToken.status).toBe(401);
    expect(((await noToken.json()) as any).type).toBe('error');

    const unknown = await getApi(sim, '/2.0/user', 'not-a-token');
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toEqual({
      type: 'error',
      error: { message: 'Invalid access token.' },
    });

    const { access_token } = await signIn(sim, 'alice-bb');
    expect((await getApi(sim, '/2.0/user', access_token)).status).toBe(200);
    sim.expireAccessTokens();
    const expired = await getApi(sim, '/2.0/user', access_token);
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({
      type: 'error',
      error: { message: 'Access token expired.' },
    });
    // tokens issued afterwards work
    const fresh = await signIn(sim, 'alice-bb');
    expect((await getApi(sim, '/2.0/user', fresh.access_token)).status).toBe(
      200,
    );
  });

  it('takes the token from the Authorization header only: not from the access_token parameter or a form field', async () => {
    const { access_token } = await signIn(sim, 'dave-bb');
    const headerOnly = {
      type: 'error',
      error: {
        message:
          'Access tokens are accepted in the Authorization header only: Authorization: Bearer <access_token>.',
      },
    };
    const query = await fetch(
      `${sim.apiBaseUrl}/user/emails?access_token=${access_token}`,
    );
    expect(query.status).toBe(401);
    expect(await query.json()).toEqual(headerOnly);

    const form = await fetch(`${sim.apiBaseUrl}/user/emails`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ access_token }),
    });
    expect(form.status).toBe(401);
    expect(await form.json()).toEqual(headerOnly);

    // with the header, the parameter is ignored and kept out of next
    const both = await getApi(
      sim,
      `/2.0/user/emails?access_token=${access_token}`,
      access_token,
    );
    expect(both.status).toBe(200);
    const page = (await both.json()) as ListBody;
    expect(page.next).toBe(`${sim.apiBaseUrl}/user/emails?page=2`);
  });

  it('answers 405 to other methods than GET, once authenticated', async () => {
    const { access_token } = await signIn(sim, 'alice-bb');
    const res = await getApi(sim, '/2.0/user', access_token, {
      method: 'POST',
    });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
  });

  it('answers 404 with an error body for unknown paths', async () => {
    const { access_token } = await signIn(sim, 'alice-bb');
    const res = await getApi(sim, '/2.0/repositories/acme', access_token);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe(
      'application/json; charset=utf-8',
    );
    expect(await res.json()).toEqual({
      type: 'error',
      error: { message: 'Resource not found' },
    });
  });
});

describe('REST API /2.0 with a consumer lacking scopes', () => {
  let sim: BitbucketSimulator;

  beforeAll(async () => {
    sim = await startBitbucketSimulator({
      consumers: [{ ...demoConsumer, scopes: ['account'] }],
    });
  });

  afterAll(async () => {
    await sim.stop();
  });

  it('answers 403 naming the required and granted scopes', async () => {
    const tokens = await signIn(sim, 'alice-bb', {
      ...demoConsumer,
      scopes: ['account'],
    });
    expect(tokens.scope).toBe('account');
    expect((await getApi(sim, '/2.0/user', tokens.access_token)).status).toBe(
      200,
    );
    const res = await getApi(sim, '/2.0/user/emails', tokens.access_token);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      type: 'error',
      error: {
        message: 'Your credentials lack one or more required privilege scopes.',
        detail: { required: ['email'], granted: ['account'] },
      },
    });
  });
});
