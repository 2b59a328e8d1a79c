import { demoConsumer, demoUsers } from './demoData';
import { generateWorkspace } from './generateWorkspace';
import { startBitbucketSimulator } from './server';
import { getApi, postToken } from './testHelpers';
import { BitbucketSimulator, SimulatorConsumer } from './types';

interface Membership {
  type: string;
  permission?: string;
  user: {
    type: string;
    uuid: string;
    nickname: string;
    display_name: string;
    username?: string;
    links: { avatar: { href: string } };
  };
  workspace: { slug: string };
}

interface ListBody {
  pagelen: number;
  size: number;
  page: number;
  values: Membership[];
  next?: string;
}

async function clientCredentialsToken(
  sim: BitbucketSimulator,
  consumer: SimulatorConsumer = demoConsumer,
): Promise<string> {
  const res = await postToken(
    sim,
    { grant_type: 'client_credentials' },
    { consumer },
  );
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** Every page, following `next` */
async function readAll(sim: BitbucketSimulator, url: string, token: string) {
  const pages: ListBody[] = [];
  let next: string | undefined = url;
  while (next) {
    const res = await getApi(sim, next, token);
    expect(res.status).toBe(200);
    const page = (await res.json()) as ListBody;
    pages.push(page);
    next = page.next;
  }
  return pages;
}

describe('client-credentials grant', () => {
  let sim: BitbucketSimulator;
  const publicConsumer: SimulatorConsumer = {
    key: 'public-consumer',
    secret: 'public-secret',
    callbackUrl: demoConsumer.callbackUrl,
    scopes: ['account'],
  };

  beforeAll(async () => {
    sim = await startBitbucketSimulator({
      consumers: [
        demoConsumer,
        publicConsumer,
        { ...publicConsumer, key: 'no-workspace', isPrivate: true },
        {
          ...publicConsumer,
          key: 'unknown-workspace',
          isPrivate: true,
          workspace: 'nowhere',
        },
      ],
    });
  });

  afterAll(async () => {
    await sim.stop();
  });

  it("gives a private consumer a token with the consumer's scopes and no refresh token, acting as the consumer's app user", async () => {
    const res = await postToken(sim, { grant_type: 'client_credentials' });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toEqual({
      access_token: expect.any(String),
      scope: 'account email team',
      expires_in: 7200,
      token_type: 'bearer',
      state: 'client_credentials',
    });
    const me = await getApi(sim, '/2.0/user', body.access_token);
    expect(me.status).toBe(200);
    const appUser = {
      type: 'app_user',
      uuid: expect.stringMatching(/^\{[0-9a-f-]{36}\}$/),
      account_id: expect.stringMatching(/^557058:[0-9a-f-]{36}$/),
      display_name: 'simulator-client-id (app user)',
      account_status: 'active',
      links: {},
      created_on: expect.any(String),
    };
    const body2 = await me.json();
    expect(body2).toEqual(appUser);
    expect(demoUsers.map(u => u.uuid)).not.toContain(body2.uuid);
    // the same app user for every token of the consumer
    const again = await clientCredentialsToken(sim);
    const me2 = await getApi(sim, '/2.0/user', again);
    expect(((await me2.json()) as { uuid: string }).uuid).toBe(body2.uuid);
  });

  it("lets the app user reach only the consumer's workspace, as a member without email", async () => {
    const token = await clientCredentialsToken(sim);
    const get = async (path: string) => {
      const res = await getApi(sim, path, token);
      return { status: res.status, body: await res.json() };
    };
    expect((await get('/2.0/user/emails')).body).toMatchObject({
      size: 0,
      values: [],
    });
    expect((await get('/2.0/user/workspaces')).body.values).toEqual([
      {
        type: 'workspace_access',
        administrator: false,
        workspace: expect.objectContaining({ slug: 'acme' }),
      },
    ]);
    const permission = await get('/2.0/user/workspaces/acme/permission');
    expect(permission.body).toMatchObject({
      type: 'workspace_membership',
      permission: 'member',
      user: { type: 'app_user' },
    });
    // alice-bb, an owner of acme, also owns alice-personal: the app user does not
    for (const slug of ['alice-personal', 'other-co']) {
      for (const path of [
        `/2.0/workspaces/${slug}/members`,
        `/2.0/workspaces/${slug}/permissions`,
        `/2.0/user/workspaces/${slug}/permission`,
      ]) {
        expect(await get(path)).toEqual({
          status: 404,
          body: {
            type: 'error',
            error: { message: `Workspace ${slug} not found` },
          },
        });
      }
    }
  });

  it('accepts the credentials as form fields too', async () => {
    const res = await postToken(
      sim,
      { grant_type: 'client_credentials' },
      { clientAuth: 'form' },
    );
    expect(res.status).toBe(200);
  });

  it('refuses a consumer that is not private: unauthorized_client', async () => {
    const res = await postToken(
      sim,
      { grant_type: 'client_credentials' },
      { consumer: publicConsumer },
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: 'unauthorized_client',
      error_description:
        'Client credentials are only allowed for private consumers',
    });
  });

  it('refuses wrong credentials: 401 invalid_client', async () => {
    const res = await postToken(
      sim,
      { grant_type: 'client_credentials' },
      { consumer: { key: demoConsumer.key, secret: 'wrong' } },
    );
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe(
      'invalid_client',
    );
  });

  it('says so when a private consumer has no workspace the simulator knows', async () => {
    for (const [key, named] of [
      ['no-workspace', 'null'],
      ['unknown-workspace', '"nowhere"'],
    ]) {
      const res = await postToken(
        sim,
        { grant_type: 'client_credentials' },
        { consumer: { key, secret: 'public-secret' } },
      );
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        error: 'unauthorized_client',
        error_description: `The private consumer's workspace ${named} is not a workspace of any of the simulator's users: set "workspace" on the consumer`,
      });
    }
  });
});

describe('GET /2.0/workspaces/{workspace}/members and /permissions', () => {
  let sim: BitbucketSimulator;
  let token: string;

  beforeAll(async () => {
    sim = await startBitbucketSimulator();
    token = await clientCredentialsToken(sim);
  });

  afterAll(async () => {
    await sim.stop();
  });

  it("lists acme's members in Bitbucket's shape: no username, no email", async () => {
    const res = await getApi(sim, '/2.0/workspaces/acme/members', token);
    expect(res.status).toBe(200);
    const body = (await res.json()) as ListBody;
    expect(body).toMatchObject({ pagelen: 10, size: 4, page: 1 });
    expect(body.next).toBeUndefined();
    expect(body.values.map(v => v.user.nickname)).toEqual([
      'alice',
      'bob',
      'carol',
      'dave',
    ]);
    expect(body.values[0]).toEqual({
      type: 'workspace_membership',
      user: {
        type: 'user',
        uuid: demoUsers[0].uuid,
        account_id: demoUsers[0].accountId,
        nickname: 'alice',
        display_name: 'Alice Anderson',
        links: {
          avatar: { href: `${sim.url}/avatars/alice-bb.svg` },
          html: { href: expect.any(String) },
          self: { href: expect.any(String) },
        },
      },
      workspace: expect.objectContaining({
        type: 'workspace',
        slug: 'acme',
        name: 'Acme',
      }),
      links: {
        self: {
          href: `${sim.apiBaseUrl}/workspaces/acme/members/${encodeURIComponent(
            demoUsers[0].uuid,
          )}`,
        },
      },
    });
    expect(JSON.stringify(body)).not.toMatch(/username|@example/);
  });

  it('lists the permission of each member', async () => {
    const res = await getApi(sim, '/2.0/workspaces/acme/permissions', token);
    const body = (await res.json()) as ListBody;
    expect(
      body.values.map(v => [v.user.nickname, v.permission, v.type]),
    ).toEqual([
      ['alice', 'owner', 'workspace_membership'],
      ['bob', 'member', 'workspace_membership'],
      ['carol', 'member', 'workspace_membership'],
      ['dave', 'member', 'workspace_membership'],
    ]);
  });

  it('paginates with pagelen, page and absolute next links', async () => {
    const pages = await readAll(
      sim,
      '/2.0/workspaces/acme/members?pagelen=3',
      token,
    );
    expect(
      pages.map(p => [p.page, p.pagelen, p.size, p.values.length]),
    ).toEqual([
      [1, 3, 4, 3],
      [2, 3, 4, 1],
    ]);
    expect(pages[0].next).toBe(
      `${sim.apiBaseUrl}/workspaces/acme/members?pagelen=3&page=2`,
    );
  });

  it('answers 404 for an unknown workspace and for one the caller is not in', async () => {
    for (const slug of ['no-such-workspace', 'other-co']) {
      const res = await getApi(sim, `/2.0/workspaces/${slug}/members`, token);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({
        type: 'error',
        error: { message: `Workspace ${slug} not found` },
      });
    }
  });

  it('answers 401 without a valid token', async () => {
    const res = await getApi(sim, '/2.0/workspaces/acme/members', 'nope');
    expect(res.status).toBe(401);
  });

  it('needs the account scope', async () => {
    const emailOnly = await startBitbucketSimulator({
      consumers: [{ ...demoConsumer, scopes: ['email'] }],
    });
    try {
      const emailToken = await clientCredentialsToken(emailOnly, {
        ...demoConsumer,
        scopes: ['email'],
      });
      for (const list of ['members', 'permissions']) {
        const res = await getApi(
          emailOnly,
          `/2.0/workspaces/acme/${list}`,
          emailToken,
        );
        expect(res.status).toBe(403);
        expect(((await res.json()) as any).error.detail).toEqual({
          required: ['account'],
          granted: ['email'],
        });
      }
    } finally {
      await emailOnly.stop();
    }
  });
});

describe('generateWorkspace', () => {
  it('is deterministic, with unique uuids and usernames but repeated nicknames', () => {
    const first = generateWorkspace({ slug: 'big', members: 1000 });
    expect(generateWorkspace({ slug: 'big', members: 1000 })).toEqual(first);
    expect(first).toHaveLength(1000);
    expect(new Set(first.map(u => u.uuid)).size).toBe(1000);
    expect(new Set(first.map(u => u.username)).size).toBe(1000);
    expect(new Set(first.map(u => u.nickname)).size).toBe(990);
    expect(first[99].nickname).toBe(first[98].nickname);
    expect(first[0].uuid).toMatch(
      /^\{[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}\}$/,
    );
    expect(
      first
        .filter(u => u.workspaces[0].permission === 'owner')
        .map(u => u.username),
    ).toEqual(['big-user-0', 'big-user-500']);
    expect(generateWorkspace({ slug: 'other', members: 1 })[0].uuid).not.toBe(
      first[0].uuid,
    );
    expect(() => generateWorkspace({ slug: 'x', members: 0 })).toThrow(
      'members must be a positive integer',
    );
  });

  it('is served page by page: 250 members in 3 pages of 100', async () => {
    const users = generateWorkspace({ slug: 'big', members: 250 });
    const consumer: SimulatorConsumer = { ...demoConsumer, workspace: 'big' };
    const sim = await startBitbucketSimulator({
      users: [...demoUsers, ...users],
      consumers: [consumer],
    });
    try {
      const token = await clientCredentialsToken(sim, consumer);
      const pages = await readAll(
        sim,
        '/2.0/workspaces/big/permissions?pagelen=100',
        token,
      );
      expect(pages.map(p => p.values.length)).toEqual([100, 100, 50]);
      const uuids = pages.flatMap(p => p.values.map(v => v.user.uuid));
      expect(uuids).toEqual(users.map(u => u.uuid));
      expect(
        pages.flatMap(p => p.values).filter(v => v.permission === 'owner'),
      ).toHaveLength(1);
    } finally {
      await sim.stop();
    }
  });
});
