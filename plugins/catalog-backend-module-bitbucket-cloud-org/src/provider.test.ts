import { SchedulerService } from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  EntityProviderConnection,
  EntityProviderMutation,
} from '@backstage/plugin-catalog-node';
import {
  BitbucketSimulator,
  demoApiToken,
  demoConsumer,
  demoUsers,
  generateWorkspace,
  startBitbucketSimulator,
} from '@bitbucket-signin/bitbucket-cloud-simulator';
import { recordingLogger } from './__testUtils__/recordingLogger';
import { BitbucketCloudOrgEntityProvider } from './provider';

const ALICE = 'bitbucket-4b3fc47c-f21d-4942-bc5c-5ad7ca0f1a3e';
const BOB = 'bitbucket-6d69852f-142d-4335-bd37-6eadb0e56440';

const big = generateWorkspace({ slug: 'big', members: 150 });
const bigConsumer = {
  ...demoConsumer,
  key: 'big-consumer',
  workspace: 'big',
};

describe('BitbucketCloudOrgEntityProvider', () => {
  let sim: BitbucketSimulator;
  let logger: ReturnType<typeof recordingLogger>;
  let scheduler: jest.Mocked<SchedulerService>;
  let mutations: EntityProviderMutation[];

  beforeEach(async () => {
    sim = await startBitbucketSimulator({
      users: [...demoUsers, ...big],
      consumers: [demoConsumer, bigConsumer],
    });
    logger = recordingLogger();
    scheduler = mockServices.scheduler.mock();
    mutations = [];
  });

  afterEach(async () => {
    await sim.stop();
  });

  /** A provider connected to a recording connection; `run` is what the scheduler would call */
  async function connect(
    options: {
      workspace?: string;
      clientId?: string;
      clientSecret?: string;
      /** Instead of workspace and the consumer */
      workspacesWithApiToken?: string[];
    } = {},
  ) {
    const {
      workspace = 'acme',
      clientId = demoConsumer.key,
      clientSecret = demoConsumer.secret,
      workspacesWithApiToken,
    } = options;
    const providers = BitbucketCloudOrgEntityProvider.fromConfig(
      new ConfigReader({
        catalog: {
          providers: {
            bitbucketCloudOrg: {
              [workspace]: {
                ...(workspacesWithApiToken
                  ? {
                      workspaces: workspacesWithApiToken,
                      apiToken: demoApiToken,
                    }
                  : { workspace, clientId, clientSecret }),
                tokenUrl: sim.tokenUrl,
                apiBaseUrl: sim.apiBaseUrl,
                schedule: {
                  frequency: { minutes: 10 },
                  timeout: { minutes: 2 },
                },
              },
            },
          },
        },
      }),
      { logger, scheduler },
    );
    expect(providers).toHaveLength(1);
    const connection: EntityProviderConnection = {
      applyMutation: async mutation => {
        mutations.push(mutation);
      },
      refresh: async () => {},
    };
    await providers[0].connect(connection);
    const task = scheduler.scheduleTask.mock.lastCall![0];
    return {
      provider: providers[0],
      run: async () => task.fn(new AbortController().signal),
    };
  }

  const names = (mutation: EntityProviderMutation) =>
    mutation.type === 'full'
      ? mutation.entities.map(e => `${e.entity.kind}:${e.entity.metadata.name}`)
      : [];

  it('schedules one task with the configured schedule', async () => {
    const { provider } = await connect();
    expect(provider.getProviderName()).toBe(
      'bitbucket-cloud-org-provider:acme',
    );
    expect(scheduler.scheduleTask).toHaveBeenCalledTimes(1);
    expect(scheduler.scheduleTask).toHaveBeenCalledWith({
      id: 'bitbucket-cloud-org-provider:acme:refresh',
      frequency: { minutes: 10 },
      timeout: { minutes: 2 },
      fn: expect.any(Function),
    });
  });

  it('applies the workspace as one full mutation per run', async () => {
    const { run } = await connect();
    await run();
    expect(mutations).toHaveLength(1);
    expect(mutations[0].type).toBe('full');
    expect(names(mutations[0])).toEqual([
      'Group:acme',
      'Group:acme-owners',
      `User:${ALICE}`,
      `User:${BOB}`,
      'User:bitbucket-5f9f5a48-afc4-4680-8b97-8388a4da3b80',
      'User:bitbucket-313563ba-8bb3-48f4-b702-9fbbbd60e576',
    ]);
    const [first] = mutations[0].type === 'full' ? mutations[0].entities : [];
    expect(first.locationKey).toBe('bitbucket-cloud-org-provider:acme');
    expect(first.entity.metadata.annotations).toMatchObject({
      'backstage.io/managed-by-location': `url:${sim.url}/acme`,
    });
    expect(logger.lines).toEqual([
      expect.stringMatching(
        /^info Read 4 members of Bitbucket Cloud workspace acme and applied 6 Users and Groups in \d+ ms$/,
      ),
    ]);
  });

  it('reads a workspace over several pages, a User per member whatever their nicknames', async () => {
    const { run } = await connect({
      workspace: 'big',
      clientId: bigConsumer.key,
    });
    await run();
    const entityNames = names(mutations[0]);
    expect(entityNames).toHaveLength(150 + 2);
    expect(new Set(entityNames).size).toBe(152);
    // big-user-98 and big-user-99 are both "user98"; their names are their uuids
    expect(entityNames).toEqual(
      expect.arrayContaining(
        [big[98], big[99]].map(u => `User:bitbucket-${u.uuid.slice(1, -1)}`),
      ),
    );
    expect(sim.requestCounts()['/2.0/workspaces/big/members']).toBe(2);
  });

  it('makes a person in two workspaces one User in the groups of both, with an API token', async () => {
    const { run } = await connect({
      workspacesWithApiToken: ['acme', 'alice-personal'],
    });
    await run();
    const entities =
      mutations[0].type === 'full'
        ? mutations[0].entities.map(e => e.entity)
        : [];
    expect(names(mutations[0])).toEqual([
      'Group:acme',
      'Group:acme-owners',
      'Group:alice-personal',
      'Group:alice-personal-owners',
      `User:${ALICE}`,
      `User:${BOB}`,
      'User:bitbucket-5f9f5a48-afc4-4680-8b97-8388a4da3b80',
      'User:bitbucket-313563ba-8bb3-48f4-b702-9fbbbd60e576',
    ]);
    expect(
      entities.find(e => e.metadata.name === ALICE)!.spec!.memberOf,
    ).toEqual([
      'acme',
      'acme-owners',
      'alice-personal',
      'alice-personal-owners',
    ]);
    expect(logger.lines).toEqual([
      expect.stringMatching(
        /^info Read 5 members of Bitbucket Cloud workspaces acme, alice-personal and applied 8 Users and Groups in \d+ ms$/,
      ),
    ]);
    expect(sim.requestCounts()['/site/oauth2/access_token']).toBeUndefined();
  });

  it('names the cause when the consumer cannot reach a configured workspace', async () => {
    const { run } = await connect({ workspace: 'alice-personal' });
    await run();
    expect(mutations).toEqual([]);
    expect(logger.lines).toEqual([
      expect.stringContaining(
        'The OAuth consumer of catalog.providers.bitbucketCloudOrg.alice-personal.clientId cannot reach workspace "alice-personal"',
      ),
    ]);
    expect(logger.lines[0]).toContain(
      "add the consumer in alice-personal's Workspace settings > OAuth consumers, or use an Atlassian API token",
    );
  });

  it('drops a member who left the workspace at the next run', async () => {
    const { run } = await connect();
    await run();
    sim.updateUser('bob-bb', { workspaces: [] });
    await run();
    expect(names(mutations[1])).not.toContain(`User:${BOB}`);
    expect(names(mutations[1])).toContain(`User:${ALICE}`);
  });

  it.each([
    ['a later page of members', 'big', '/2.0/workspaces/big/members', 1],
    ['the permissions', 'acme', '/2.0/workspaces/acme/permissions', 0],
  ])(
    'applies nothing when %s cannot be read, so the catalog keeps the last run, and says why',
    async (_what, workspace, path, after) => {
      const { run } = await connect({
        workspace,
        clientId: workspace === 'big' ? bigConsumer.key : demoConsumer.key,
      });
      await run();
      sim.addFault({ path, kind: 'status', status: 503, after });
      const logged = logger.lines.length;
      await run();
      expect(mutations).toHaveLength(1);
      expect(logger.lines.slice(logged)).toEqual([
        `error Could not refresh the Users and Groups of Bitbucket Cloud workspace ${workspace} (catalog.providers.bitbucketCloudOrg.${workspace}); the catalog keeps those of the last successful run. Bitbucket Cloud failed: GET ${path} answered HTTP 503. Nothing is wrong with your account or configuration; try again in a moment`,
      ]);
      sim.clearFaults();
      await run();
      expect(mutations).toHaveLength(2);
    },
  );

  it('logs what an admin must fix, without the secret', async () => {
    const { run } = await connect({ clientSecret: 'an-outdated-secret' });
    await run();
    expect(mutations).toEqual([]);
    expect(logger.lines).toEqual([
      expect.stringContaining(
        'Bitbucket Cloud rejected the OAuth consumer credentials (invalid_client: Invalid OAuth client credentials). Check catalog.providers.bitbucketCloudOrg.acme.clientId',
      ),
    ]);
    expect(logger.lines.join('\n')).not.toContain('an-outdated-secret');
  });

  it('refuses to run before the catalog connects it', async () => {
    const [provider] = BitbucketCloudOrgEntityProvider.fromConfig(
      new ConfigReader({
        catalog: {
          providers: {
            bitbucketCloudOrg: {
              acme: { workspace: 'acme', clientId: 'id', clientSecret: 's' },
            },
          },
        },
      }),
      { logger, scheduler },
    );
    await expect(provider.refresh()).rejects.toThrow(
      'bitbucket-cloud-org-provider:acme is not connected yet',
    );
  });
});
