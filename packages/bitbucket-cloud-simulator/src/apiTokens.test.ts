import { demoApiToken, demoUsers } from './demoData';
import { startBitbucketSimulator } from './server';
import { BitbucketSimulator, SimulatorUser } from './types';

const READ_USER = 'read:user:bitbucket';
const READ_WORKSPACE = 'read:workspace:bitbucket';

function basic(email: string, token: string) {
  return `Basic ${Buffer.from(`${email}:${token}`).toString('base64')}`;
}

describe('Atlassian API tokens (HTTP Basic with the account email)', () => {
  let sim: BitbucketSimulator;
  const bob = demoUsers.find(u => u.username === 'bob-bb')!;
  const grace: SimulatorUser = {
    ...demoUsers.find(u => u.username === 'grace-bb')!,
    apiTokens: [
      { token: 'grace-user-only', scopes: [READ_USER] },
      { token: 'grace-workspace-only', scopes: [READ_WORKSPACE] },
    ],
  };

  beforeAll(async () => {
    sim = await startBitbucketSimulator({
      users: [...demoUsers.filter(u => u.username !== 'grace-bb'), grace],
    });
  });

  afterAll(async () => {
    await sim.stop();
  });

  const get = (path: string, authorization: string) =>
    fetch(`${sim.url}${path}`, { headers: { authorization } });

  it('the demo API token acts as an owner of acme, for the user and workspace endpoints', async () => {
    const authorization = basic(demoApiToken.email, demoApiToken.token);
    const me = await get('/2.0/user', authorization);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({
      type: 'user',
      username: 'alice-bb',
    });
    const workspaces = await get('/2.0/user/workspaces', authorization);
    expect(await workspaces.json()).toMatchObject({
      values: [
        { administrator: true, workspace: { slug: 'acme' } },
        { administrator: true, workspace: { slug: 'alice-personal' } },
      ],
    });
    for (const path of [
      '/2.0/user/emails',
      '/2.0/user/workspaces/acme/permission',
      '/2.0/workspaces/acme/members',
      '/2.0/workspaces/acme/permissions',
    ]) {
      expect((await get(path, authorization)).status).toBe(200);
    }
    // the user's workspaces only
    expect(
      (await get('/2.0/workspaces/other-co/members', authorization)).status,
    ).toBe(404);
  });

  it('answers 403 naming the API token scope a request lacks', async () => {
    const insufficient = (required: string, granted: string) => ({
      type: 'error',
      error: {
        message: 'Your credentials lack one or more required privilege scopes.',
        detail: { required: [required], granted: [granted] },
      },
    });
    const userOnly = basic('grace@example.com', 'grace-user-only');
    expect((await get('/2.0/user', userOnly)).status).toBe(200);
    const members = await get('/2.0/workspaces/other-co/members', userOnly);
    expect(members.status).toBe(403);
    expect(await members.json()).toEqual(
      insufficient(READ_WORKSPACE, READ_USER),
    );

    const workspaceOnly = basic('grace@example.com', 'grace-workspace-only');
    expect(
      (await get('/2.0/workspaces/other-co/permissions', workspaceOnly)).status,
    ).toBe(200);
    for (const path of ['/2.0/user', '/2.0/user/workspaces']) {
      const res = await get(path, workspaceOnly);
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual(insufficient(READ_USER, READ_WORKSPACE));
    }
  });

  it('answers 401 to a wrong token, or a right token with another email', async () => {
    for (const authorization of [
      basic(demoApiToken.email, 'wrong'),
      basic(bob.emails[0].email, demoApiToken.token),
      basic('nobody@example.com', demoApiToken.token),
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
    ]) {
      const res = await get('/2.0/user', authorization);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({
        type: 'error',
        error: {
          message:
            'Invalid API token: HTTP Basic needs the Atlassian account email and one of its API tokens.',
        },
      });
    }
  });

  it('takes tokens given to a user at runtime, through the control API too', async () => {
    const res = await fetch(`${sim.url}/_simulator/users/bob-bb`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        apiTokens: [{ token: 'bob-token', scopes: [READ_USER] }],
      }),
    });
    expect(res.status).toBe(204);
    // bob's primary address is unconfirmed: his account email is the confirmed one
    const me = await get(
      '/2.0/user',
      basic('bob.brown@example.com', 'bob-token'),
    );
    expect(me.status).toBe(200);
    const bad = await fetch(`${sim.url}/_simulator/users/bob-bb`, {
      method: 'PATCH',
      body: JSON.stringify({ apiTokens: [{ token: 'x' }] }),
    });
    expect(bad.status).toBe(400);
  });
});
