import {
  coreServices,
  createBackendModule,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import authPlugin from '@backstage/plugin-auth-backend';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import {
  BitbucketSimulator,
  SimulatorConsumer,
  startBitbucketSimulator,
} from '@bitbucket-signin/bitbucket-cloud-simulator';
import authModuleBitbucketProvider from '@bitbucket-signin/plugin-auth-backend-module-bitbucket-provider';
import { AddressInfo } from 'node:net';
import catalogModuleBitbucketCloudOrg from '.';
import { metricsServiceFactory } from '@backstage/backend-defaults/alpha';
import {
  createTestDatabase,
  installTestMeterProvider,
  signInThroughBackstage,
} from '@bitbucket-signin/test-kit';

jest.setTimeout(60_000);

const TASK_ID = 'bitbucket-cloud-org-provider:acme:refresh';

/** User entity names: from the uuid, which no member chooses */
const ALICE = 'bitbucket-4b3fc47c-f21d-4942-bc5c-5ad7ca0f1a3e';
const BOB = 'bitbucket-6d69852f-142d-4335-bd37-6eadb0e56440';
const CAROL = 'bitbucket-5f9f5a48-afc4-4680-8b97-8388a4da3b80';
const DAVE = 'bitbucket-313563ba-8bb3-48f4-b702-9fbbbd60e576';
/** In name order, as the catalog lists them */
const ACME_USERS = [DAVE, ALICE, CAROL, BOB];

/** One private consumer of acme for both: sign-in, and reading acme as its app user */
const consumer: SimulatorConsumer = {
  key: 'org-module-test-client',
  secret: 'org-module-test-secret',
  callbackUrl: 'http://localhost:7007/api/auth/bitbucket/handler/frame',
  scopes: ['account', 'email'],
  isPrivate: true,
  workspace: 'acme',
};

describe('the module in a real backend with the catalog and Bitbucket sign-in', () => {
  let simulator: BitbucketSimulator;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  const database = createTestDatabase();
  let backendUrl: string;
  let scheduler: SchedulerService | undefined;
  // the OpenTelemetry SDK as an adopter sets it up, read by the test
  const meters = installTestMeterProvider();

  // gives the test the catalog plugin's scheduler, to run the provider on demand
  const catalogSchedulerModule = createBackendModule({
    pluginId: 'catalog',
    moduleId: 'test-scheduler-access',
    register(reg) {
      reg.registerInit({
        deps: { catalogScheduler: coreServices.scheduler },
        async init({ catalogScheduler }) {
          scheduler = catalogScheduler;
        },
      });
    },
  });

  beforeAll(async () => {
    simulator = await startBitbucketSimulator({ consumers: [consumer] });
    backend = await startTestBackend({
      features: [
        database.factory,
        catalogPlugin,
        catalogModuleBitbucketCloudOrg,
        catalogSchedulerModule,
        metricsServiceFactory,
        authPlugin,
        authModuleBitbucketProvider,
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://localhost:3000' },
            catalog: {
              providers: {
                bitbucketCloudOrg: {
                  acme: {
                    workspace: 'acme',
                    clientId: consumer.key,
                    clientSecret: consumer.secret,
                    tokenUrl: simulator.tokenUrl,
                    apiBaseUrl: simulator.apiBaseUrl,
                    schedule: {
                      frequency: { minutes: 30 },
                      timeout: { minutes: 3 },
                    },
                  },
                },
              },
            },
            auth: {
              providers: {
                bitbucket: {
                  development: {
                    clientId: consumer.key,
                    clientSecret: consumer.secret,
                    callbackUrl: consumer.callbackUrl,
                    authorizationUrl: simulator.authorizationUrl,
                    tokenUrl: simulator.tokenUrl,
                    apiBaseUrl: simulator.apiBaseUrl,
                    workspaces: ['acme'],
                    signIn: {
                      resolvers: [
                        { resolver: 'userIdMatchingUserEntityAnnotation' },
                      ],
                    },
                  },
                },
              },
            },
          },
        }),
      ],
    });
    backendUrl = `http://127.0.0.1:${
      (backend.server.address() as AddressInfo).port
    }`;
  });

  afterAll(async () => {
    await backend?.stop();
    await database.destroy();
    await simulator?.stop();
    await meters.uninstall();
  });

  async function catalogEntities(kind: string): Promise<Entity[]> {
    const res = await fetch(
      `${backendUrl}/api/catalog/entities/by-query?filter=kind=${kind}&orderField=metadata.name,asc`,
    );
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: Entity[] }).items;
  }

  /** The catalog processes what the provider applied in the background */
  async function waitForUsers(names: string[]) {
    let users: Entity[] = [];
    for (let attempt = 0; attempt < 200; attempt++) {
      users = await catalogEntities('user');
      if (users.map(u => u.metadata.name).join() === names.join()) {
        return users;
      }
      await new Promise(resolve => setTimeout(resolve, 100));
    }
    throw new Error(
      `catalog users ${users.map(u => u.metadata.name)}, expected ${names}`,
    );
  }

  it('holds a User per member of acme and the workspace groups after one run', async () => {
    const users = await waitForUsers(ACME_USERS);
    const bob = users.find(u => u.metadata.name === BOB)!;
    expect(bob.metadata.annotations).toMatchObject({
      'bitbucket.org/user-id': '{6d69852f-142d-4335-bd37-6eadb0e56440}',
      'backstage.io/managed-by-location': `url:${simulator.url}/acme`,
    });
    expect(bob.metadata.title).toBe('Bob Brown');
    expect(bob.spec).toEqual({
      profile: {
        displayName: 'Bob Brown',
        picture: `${simulator.url}/avatars/bob-bb.svg`,
      },
      memberOf: ['acme'],
    });
    expect(bob.relations).toContainEqual({
      type: 'memberOf',
      targetRef: 'group:default/acme',
    });

    const groups = await catalogEntities('group');
    expect(groups.map(g => [g.metadata.name, g.spec?.type])).toEqual([
      ['acme', 'workspace'],
      ['acme-owners', 'workspace-owners'],
    ]);
    const acme = groups[0];
    expect(
      acme.relations
        ?.filter(r => r.type === 'hasMember')
        .map(r => r.targetRef)
        .sort(),
    ).toEqual(ACME_USERS.map(name => `user:default/${name}`).sort());
    expect(simulator.requestCounts()).toMatchObject({
      '/site/oauth2/access_token': 1,
      '/2.0/workspaces/acme/members': 1,
      '/2.0/workspaces/acme/permissions': 1,
    });
  });

  it("reports its run through Backstage's metrics service, naming no member", async () => {
    await waitForUsers(ACME_USERS);
    const value = async (name: string) =>
      (await meters.points(name)).map(p => [p.attributes, p.value] as const);
    expect(await value('catalog.bitbucket_cloud_org.runs')).toEqual([
      [{ provider: 'acme', outcome: 'ok' }, 1],
    ]);
    expect(await value('catalog.bitbucket_cloud_org.members_read')).toEqual([
      [{ provider: 'acme' }, 4],
    ]);
    // 4 Users, the workspace Group and its owners Group
    expect(await value('catalog.bitbucket_cloud_org.entities_applied')).toEqual(
      [[{ provider: 'acme' }, 6]],
    );
    const [[, lastSuccess]] = await value(
      'catalog.bitbucket_cloud_org.last_success',
    );
    expect(Date.now() / 1000 - lastSuccess).toBeLessThan(60);
    expect(
      (await meters.points('bitbucket.request.duration'))
        .map(p => p.attributes.endpoint)
        .sort(),
    ).toEqual(
      expect.arrayContaining([
        '/site/oauth2/access_token',
        '/workspaces/{workspace}/members',
        '/workspaces/{workspace}/permissions',
      ]),
    );
  });

  it.each([
    ['bob-bb', `user:default/${BOB}`, ['group:default/acme']],
    [
      'alice-bb',
      `user:default/${ALICE}`,
      ['group:default/acme', 'group:default/acme-owners'],
    ],
  ])(
    '%s, in no hand-written file, signs in by user id as %s, owning the workspace groups',
    async (username, userRef, groupRefs) => {
      await waitForUsers(ACME_USERS);
      const outcome = await signInThroughBackstage({
        backendUrl,
        consent: url => simulator.approve(url, username),
      });
      expect(outcome.error).toBeUndefined();
      const identity = outcome.response!.backstageIdentity!.identity;
      expect(identity.userEntityRef).toBe(userRef);
      // the workspace groups come from the provider's memberOf, through Backstage's own
      // ownership resolution
      expect([...identity.ownershipEntityRefs].sort()).toEqual(
        [userRef, ...groupRefs].sort(),
      );
    },
  );

  it('keeps the entities when a run fails, and drops a member who left at the next good run', async () => {
    await waitForUsers(ACME_USERS);
    simulator.updateUser('bob-bb', { workspaces: [] });
    simulator.addFault({
      path: '/2.0/workspaces/acme/permissions',
      kind: 'status',
      status: 503,
      // the request and its one retry
      times: 2,
    });
    await scheduler!.triggerTask(TASK_ID);
    expect(simulator.requestCounts()['/2.0/workspaces/acme/permissions']).toBe(
      3,
    );
    expect((await catalogEntities('user')).map(u => u.metadata.name)).toEqual(
      ACME_USERS,
    );

    await scheduler!.triggerTask(TASK_ID);
    await waitForUsers([DAVE, ALICE, CAROL]);
    expect(
      (await meters.points('catalog.bitbucket_cloud_org.runs')).map(p => [
        p.attributes.outcome,
        p.value,
      ]),
    ).toEqual(
      expect.arrayContaining([
        ['ok', 2],
        ['failed', 1],
      ]),
    );
  });
});
