import { demoConsumer, demoUsers } from './demoData';
import { startBitbucketSimulator } from './server';
import { getApi, signIn } from './testHelpers';
import { BitbucketSimulator } from './types';

interface WorkspaceAccess {
  type: string;
  administrator: boolean;
  workspace: { type: string; uuid: string; slug: string; name: string };
}

interface ListBody<T> {
  pagelen: number;
  size: number;
  page: number;
  values: T[];
  next?: string;
}

const acme = {
  type: 'workspace_base',
  uuid: '{958956e8-20eb-448d-89da-1b44d92c17b6}',
  slug: 'acme',
  name: 'Acme',
};

describe('GET /2.0/user/workspaces', () => {
  let sim: BitbucketSimulator;

  beforeAll(async () => {
    sim = await startBitbucketSimulator();
  });

  afterAll(async () => {
    await sim.stop();
  });

  const list = async (
    username: string,
    pathAndQuery = '/2.0/user/workspaces',
  ) => {
    const { access_token } = await signIn(sim, username);
    const res = await getApi(sim, pathAndQuery, access_token);
    expect(res.status).toBe(200);
    return {
      access_token,
      page: (await res.json()) as ListBody<WorkspaceAccess>,
    };
  };

  it("lists the caller's workspaces as workspace_access rows, administrator for owners", async () => {
    const { page } = await list('alice-bb');
    expect(page).toEqual({
      pagelen: 10,
      size: 2,
      page: 1,
      values: [
        { type: 'workspace_access', administrator: true, workspace: acme },
        {
          type: 'workspace_access',
          administrator: true,
          workspace: {
            type: 'workspace_base',
            uuid: '{32341d6a-f89b-403f-9673-5a77449f772b}',
            slug: 'alice-personal',
            name: 'Alice Anderson',
          },
        },
      ],
    });
    const bob = await list('bob-bb');
    expect(bob.page.values).toEqual([
      { type: 'workspace_access', administrator: false, workspace: acme },
    ]);
  });

  it("paginates dave's 12 workspaces with absolute next links that keep pagelen", async () => {
    const { access_token, page } = await list('dave-bb');
    expect(page.size).toBe(12);
    expect(page.values).toHaveLength(10);
    expect(page.next).toBe(`${sim.apiBaseUrl}/user/workspaces?page=2`);
    const second = (await (
      await getApi(sim, page.next!, access_token)
    ).json()) as ListBody<WorkspaceAccess>;
    expect(second.values.map(v => v.workspace.slug)).toEqual([
      'ws-10',
      'ws-11',
    ]);
    expect(second.next).toBeUndefined();

    const small = await list('dave-bb', '/2.0/user/workspaces?pagelen=5');
    expect(small.page.next).toBe(
      `${sim.apiBaseUrl}/user/workspaces?pagelen=5&page=2`,
    );
  });

  it('reflects updateUser in later responses', async () => {
    const { access_token } = await signIn(sim, 'grace-bb');
    sim.updateUser('grace-bb', { workspaces: [] });
    const res = await getApi(sim, '/2.0/user/workspaces', access_token);
    expect(((await res.json()) as ListBody<WorkspaceAccess>).size).toBe(0);
  });
});

describe('GET /2.0/user/workspaces/{workspace}/permission', () => {
  let sim: BitbucketSimulator;

  beforeAll(async () => {
    sim = await startBitbucketSimulator();
  });

  afterAll(async () => {
    await sim.stop();
  });

  const permission = async (username: string, workspace: string) => {
    const { access_token } = await signIn(sim, username);
    return getApi(
      sim,
      `/2.0/user/workspaces/${workspace}/permission`,
      access_token,
    );
  };

  it("answers the caller's membership: owner or member", async () => {
    const bob = await permission('bob-bb', 'acme');
    expect(bob.status).toBe(200);
    expect(await bob.json()).toEqual({
      type: 'workspace_membership',
      permission: 'member',
      user: {
        type: 'user',
        uuid: demoUsers[1].uuid,
        account_id: demoUsers[1].accountId,
        nickname: 'bob',
        display_name: 'Bob Brown',
        links: {
          avatar: { href: `${sim.url}/avatars/bob-bb.svg` },
          html: { href: expect.any(String) },
          self: { href: expect.any(String) },
        },
      },
      workspace: acme,
    });
    const alice = await permission('alice-bb', 'acme');
    expect(((await alice.json()) as { permission: string }).permission).toBe(
      'owner',
    );
  });

  it('answers 404 with an error body when the caller is not a member, or the workspace does not exist', async () => {
    for (const workspace of ['acme', 'no-such-workspace']) {
      const res = await permission('grace-bb', workspace);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({
        type: 'error',
        error: { message: `Workspace ${workspace} not found` },
      });
    }
  });
});

describe('workspace endpoints of the current user need the account scope', () => {
  it('answers 403 naming the required and granted scopes', async () => {
    const consumer = { ...demoConsumer, scopes: ['email'] };
    const sim = await startBitbucketSimulator({ consumers: [consumer] });
    try {
      const { access_token } = await signIn(sim, 'alice-bb', consumer);
      for (const path of [
        '/2.0/user/workspaces',
        '/2.0/user/workspaces/acme/permission',
      ]) {
        const res = await getApi(sim, path, access_token);
        expect(res.status).toBe(403);
        expect(await res.json()).toEqual({
          type: 'error',
          error: {
            message:
              'Your credentials lack one or more required privilege scopes.',
            detail: { required: ['account'], granted: ['email'] },
          },
        });
      }
    } finally {
      await sim.stop();
    }
  });
});
