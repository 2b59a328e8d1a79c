import {
  BitbucketSimulator,
  startBitbucketSimulator,
} from '@bitbucket-signin/bitbucket-cloud-simulator';
import {
  startAuthBackend,
  userEntity,
  testConsumer,
} from './__testUtils__/startAuthBackend';
import { getBitbucketWorkspaces } from './workspaces';
import {
  refreshBackstageSession,
  signInThroughBackstage,
} from '@bitbucket-signin/test-kit';

const WORKSPACES_PATH = '/2.0/user/permissions/workspaces';
const consumer = testConsumer('workspace-test', ['account', 'email', 'team']);

const entities = ['alice', 'dave', 'grace'].map(name =>
  userEntity(name, {}, { 'bitbucket.org/username': `${name}-bb` }),
);

describe('workspace allow-list and ownership', () => {
  let simulator: BitbucketSimulator;
  let backend: Awaited<ReturnType<typeof startAuthBackend>> | undefined;
  let backendUrl: string;

  async function startBackend(providerConfig: Record<string, unknown>) {
    backend = await startAuthBackend({
      simulator,
      consumer,
      entities,
      providerConfig: {
        signIn: {
          resolvers: [{ resolver: 'usernameMatchingUserEntityAnnotation' }],
        },
        ...providerConfig,
      },
    });
    backendUrl = backend.backendUrl;
  }

  const signIn = (username: string) =>
    signInThroughBackstage({
      backendUrl,
      consent: url => simulator.approve(url, username),
    });

  beforeEach(async () => {
    simulator = await startBitbucketSimulator({ consumers: [consumer] });
  });

  afterEach(async () => {
    await backend?.stop();
    backend = undefined;
    await simulator.stop();
  });

  it('admits a member of an allowed workspace, reading memberships in the same round trip', async () => {
    await startBackend({ workspaces: ['acme'] });
    const outcome = await signIn('alice-bb');
    expect(outcome.response?.backstageIdentity?.identity.userEntityRef).toBe(
      'user:default/alice',
    );
    expect(simulator.requestCounts()).toMatchObject({
      '/site/oauth2/access_token': 1,
      '/2.0/user': 1,
      '/2.0/user/emails': 1,
      [WORKSPACES_PATH]: 1,
    });
  });

  it('refuses everyone else without naming the allow-list or their workspaces', async () => {
    await startBackend({ workspaces: ['acme'] });
    const outcome = await signIn('grace-bb');
    expect(outcome.response).toBeUndefined();
    expect(outcome.error).toEqual({
      name: 'NotAllowedError',
      message:
        'Bitbucket user grace-bb is not a member of an allowed workspace',
    });
    expect(outcome.body).not.toMatch(/acme|other-co/);
  });

  it('follows pagination through more memberships than one page holds', async () => {
    const many = Array.from({ length: 105 }, (_, i) => ({
      slug: `ws-${i}`,
      name: `Workspace ${i}`,
      uuid: `{00000000-0000-4000-8000-${String(i).padStart(12, '0')}}`,
      permission: 'member' as const,
    }));
    simulator.updateUser('dave-bb', { workspaces: many });
    await startBackend({ workspaces: ['ws-104'] });
    const outcome = await signIn('dave-bb');
    expect(outcome.response?.backstageIdentity?.identity.userEntityRef).toBe(
      'user:default/dave',
    );
    expect(simulator.requestCounts()[WORKSPACES_PATH]).toBe(2);
  });

  it.each([
    [
      'a 5xx',
      { kind: 'status' as const, status: 502 },
      /Bitbucket Cloud failed: GET \/2\.0\/user\/permissions\/workspaces answered HTTP 502/,
    ],
    [
      'a 403',
      { kind: 'status' as const, status: 403 },
      /needs the "Workspace membership: Read" permission/,
    ],
    ['a timeout', { kind: 'hang' as const }, /did not answer within 500 ms/],
  ])(
    'fails closed when the membership call gets %s',
    async (_, fault, message) => {
      await startBackend({ workspaces: ['acme'], timeout: 500 });
      simulator.addFault({ path: WORKSPACES_PATH, ...fault });
      const outcome = await signIn('alice-bb');
      expect(outcome.response).toBeUndefined();
      expect(outcome.error?.message).toMatch(message);
    },
  );

  it('ends the session at the next refresh once the user left the workspace', async () => {
    await startBackend({ workspaces: ['acme'] });
    const first = await signIn('alice-bb');
    expect(first.response?.backstageIdentity).toBeDefined();
    simulator.updateUser('alice-bb', {
      workspaces: [
        {
          slug: 'alice-personal',
          name: 'Alice',
          uuid: '{00000000-0000-4000-8000-0000000000a1}',
          permission: 'owner',
        },
      ],
    });
    const refreshed = await refreshBackstageSession({
      backendUrl,
      cookies: first.cookies,
    });
    expect(refreshed.status).toBe(401);
    expect(refreshed.text).toContain(
      'Bitbucket user alice-bb is not a member of an allowed workspace',
    );
  });

  it('adds only the allowed workspaces to the ownership refs', async () => {
    await startBackend({ workspaces: ['acme'], workspaceOwnership: true });
    const outcome = await signIn('alice-bb');
    const ent =
      outcome.response!.backstageIdentity!.identity.ownershipEntityRefs;
    expect(ent).toEqual([
      'user:default/alice',
      'group:default/platform',
      'group:default/acme',
    ]);
  });

  it('adds the workspace refs for a user signed in without a catalog entry too', async () => {
    await startBackend({
      workspaces: ['acme'],
      workspaceOwnership: true,
      signIn: {
        resolvers: [
          {
            resolver: 'userIdMatchingUserEntityAnnotation',
            dangerouslyAllowSignInWithoutUserInCatalog: true,
          },
        ],
      },
    });
    const outcome = await signIn('alice-bb');
    const identity = outcome.response!.backstageIdentity!.identity;
    expect(identity.userEntityRef).toMatch(/^user:default\/[0-9a-f-]{36}$/);
    expect(identity.ownershipEntityRefs).toEqual([
      identity.userEntityRef,
      'group:default/acme',
    ]);
  });

  it('adds every workspace to the ownership refs when there is no allow-list', async () => {
    await startBackend({ workspaceOwnership: true });
    const outcome = await signIn('alice-bb');
    const ent =
      outcome.response!.backstageIdentity!.identity.ownershipEntityRefs;
    expect(ent).toEqual(
      expect.arrayContaining([
        'group:default/acme',
        'group:default/alice-personal',
      ]),
    );
  });

  it('does not ask Bitbucket for memberships when neither option is set', async () => {
    await startBackend({});
    const outcome = await signIn('grace-bb');
    expect(outcome.response?.backstageIdentity?.identity.userEntityRef).toBe(
      'user:default/grace',
    );
    expect(simulator.requestCounts()[WORKSPACES_PATH]).toBeUndefined();
  });

  it('refuses an empty allow-list at start-up rather than locking everyone out', async () => {
    await expect(startBackend({ workspaces: [] })).rejects.toThrow(
      /workspaces is empty/,
    );
  });
});

describe('getBitbucketWorkspaces', () => {
  const result = (workspaces?: any[]) => ({
    fullProfile: {
      uuid: '{u}',
      accountId: 'a',
      username: 'u',
      displayName: 'U',
      confirmedEmails: [],
      workspaces,
    },
    session: { accessToken: 'a', tokenType: 'bearer', scope: '' },
  });

  it('returns the memberships with their permission', () => {
    const memberships = [{ slug: 'acme', permission: 'owner' }];
    expect(getBitbucketWorkspaces(result(memberships))).toEqual(memberships);
  });

  it('says how to turn fetching on instead of pretending there are none', () => {
    expect(() => getBitbucketWorkspaces(result(undefined))).toThrow(
      /set auth\.providers\.bitbucket\.<environment>\.workspaces or workspaceOwnership/,
    );
  });
});
