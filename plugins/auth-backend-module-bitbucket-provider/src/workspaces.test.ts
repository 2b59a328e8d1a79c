import {
  BitbucketSimulator,
  startBitbucketSimulator,
} from '@bitbucket-signin/bitbucket-cloud-simulator';
import {
  startAuthBackend,
  userEntity,
  testConsumer,
} from './__testUtils__/startAuthBackend';
import { mockServices } from '@backstage/backend-test-utils';
import {
  assertMemberOfAllowedWorkspace,
  getBitbucketWorkspaces,
} from './workspaces';
import {
  refreshBackstageSession,
  signInThroughBackstage,
} from '@bitbucket-signin/test-kit';

const PERMISSION_PATH = '/2.0/user/workspaces/acme/permission';
// the allow-list needs no more than sign-in does since 2026: Account: Read
const consumer = testConsumer('workspace-test', ['account', 'email']);

const entities = ['alice', 'dave', 'grace'].map(name =>
  userEntity(name, {}, { 'bitbucket.org/username': `${name}-bb` }),
);

describe('workspace allow-list', () => {
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
      [PERMISSION_PATH]: 1,
    });
    // the endpoint Bitbucket removed in April 2026 (410) is never asked
    expect(simulator.requestCounts()['/2.0/user/permissions/workspaces']).toBe(
      undefined,
    );
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

  it('admits a member of any one of several allowed workspaces, asking about each at once', async () => {
    await startBackend({ workspaces: ['other-co', 'acme'] });
    const outcome = await signIn('dave-bb');
    expect(outcome.response?.backstageIdentity?.identity.userEntityRef).toBe(
      'user:default/dave',
    );
    expect(simulator.requestCounts()).toMatchObject({
      '/2.0/user/workspaces/other-co/permission': 1,
      [PERMISSION_PATH]: 1,
    });
  });

  it.each([
    [
      'a 5xx',
      { kind: 'status' as const, status: 502 },
      /Bitbucket Cloud failed: GET \/2\.0\/user\/workspaces\/acme\/permission answered HTTP 502/,
    ],
    [
      'a 403',
      { kind: 'status' as const, status: 403 },
      /needs the OAuth consumer permission "Account: Read"/,
    ],
    [
      'a 410',
      { kind: 'status' as const, status: 410 },
      /Bitbucket Cloud removed this endpoint, which this version of the Bitbucket plugins calls. Upgrade the Bitbucket plugins/,
    ],
    [
      'a timeout',
      { kind: 'hang' as const },
      /did not answer within auth\.providers\.bitbucket\.<environment>\.timeout/,
    ],
  ])(
    'fails closed when the membership call gets %s',
    async (_, fault, message) => {
      await startBackend({ workspaces: ['acme'], timeout: 500 });
      simulator.addFault({ path: PERMISSION_PATH, ...fault });
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

  it('puts no workspace in the ownership refs: those come from the catalog alone', async () => {
    // grace owns a workspace named like a group of the catalog's
    simulator.updateUser('grace-bb', {
      workspaces: [
        {
          slug: 'platform-owners',
          name: 'Platform owners',
          uuid: '{00000000-0000-4000-8000-0000000000f1}',
          permission: 'owner',
        },
      ],
    });
    for (const providerConfig of [{}, { workspaces: ['platform-owners'] }]) {
      await startBackend(providerConfig);
      const outcome = await signIn('grace-bb');
      expect(
        outcome.response?.backstageIdentity?.identity.ownershipEntityRefs,
      ).toEqual(['user:default/grace', 'group:default/platform']);
      await backend?.stop();
      backend = undefined;
    }
  });

  it('refuses at start-up the removed workspaceOwnership, pointing to the org provider', async () => {
    await expect(
      startBackend({ workspaces: ['acme'], workspaceOwnership: true }),
    ).rejects.toThrow(
      /workspaceOwnership was removed: .*install @bitbucket-signin\/plugin-catalog-backend-module-bitbucket-cloud-org/,
    );
  });

  it('does not ask Bitbucket for memberships without an allow-list', async () => {
    await startBackend({});
    const outcome = await signIn('grace-bb');
    expect(outcome.response?.backstageIdentity?.identity.userEntityRef).toBe(
      'user:default/grace',
    );
    expect(Object.keys(simulator.requestCounts())).toEqual(
      expect.not.arrayContaining([expect.stringMatching(/workspaces/)]),
    );
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
      /set auth\.providers\.bitbucket\.<environment>\.workspaces$/,
    );
  });
});

describe('assertMemberOfAllowedWorkspace', () => {
  it('tells the admin which slugs were checked, and the user none of them', () => {
    const logger = mockServices.logger.mock();
    const identity = {
      uuid: '{u}',
      accountId: 'a',
      username: 'grace-bb',
      displayName: 'Grace',
      confirmedEmails: [],
      workspaces: [],
    };
    expect(() =>
      assertMemberOfAllowedWorkspace(identity, ['acme', 'acme-lab'], logger),
    ).toThrow(
      /^Bitbucket user grace-bb is not a member of an allowed workspace$/,
    );
    expect(logger.info).toHaveBeenCalledWith(
      expect.stringContaining(
        'auth.providers.bitbucket.<environment>.workspaces (acme, acme-lab)',
      ),
    );
  });
});
