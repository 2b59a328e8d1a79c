import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import {
  BitbucketSimulator,
  demoUsers,
  startBitbucketSimulator,
} from '@bitbucket-signin/bitbucket-cloud-simulator';
import { bitbucketUserEntityName } from '@bitbucket-signin/plugin-bitbucket-cloud-common';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { burst, BurstResult, percentile } from './__testUtils__/burst';
import { signInAcrossReplicas } from './__testUtils__/signInAcrossReplicas';
import {
  BackstageSignInOutcome,
  decodeBackstageToken,
  freePort,
  refreshBackstageSession,
  BackendProcess,
  startBackendProcess,
  startTestRedis,
  TestRedis,
} from '@bitbucket-signin/test-kit';

jest.setTimeout(180_000);

const repoRoot = path.resolve(__dirname, '../../../..');

/**
 * TestDatabases' PostgreSQL versions from 13 up; the one used is the one whose
 * connection string is set (CI's comes from scripts/test-postgres.sh). Docker
 * is never tried.
 */
const postgresIds: TestDatabaseId[] = [
  'POSTGRES_18',
  'POSTGRES_17',
  'POSTGRES_16',
  'POSTGRES_15',
  'POSTGRES_14',
  'POSTGRES_13',
];
// Outside the describe block on purpose: TestDatabases drops its databases in
// an afterAll of this scope, which Jest runs after the describe block's
// afterAll has stopped the replicas (PostgreSQL drops no database in use).
const databases = TestDatabases.create({
  ids: postgresIds,
  disableDocker: true,
});
const postgresId = postgresIds.find(id => databases.supports(id));
const noPostgres =
  'The replicas test needs a PostgreSQL server and none is configured: set ' +
  'BACKSTAGE_TEST_DATABASE_POSTGRES<major>_CONNECTION_STRING (<major> is ' +
  "the server's, 13 to 18), which @backstage/backend-test-utils' " +
  'TestDatabases reads, to ' +
  'postgresql://<role with CREATEDB>:<password>@<host>:<port>. For a ' +
  "throwaway server from Debian's postgresql package, run " +
  '`eval "$(scripts/test-postgres.sh start)"` at the repository root ' +
  '(and `scripts/test-postgres.sh stop` afterwards). Docker is not used.';

/** Bitbucket demo user → the catalog User that app-config.production.yaml's resolvers pick */
const expected: Record<string, { ref: string; displayName: string }> = {
  ...Object.fromEntries(
    // acme's members: Users the org provider named by uuid, found by the
    // user id annotation
    ['alice-bb', 'bob-bb', 'dave-bb'].map(username => {
      const user = demoUsers.find(u => u.username === username)!;
      return [
        username,
        {
          ref: `user:default/${bitbucketUserEntityName(user.uuid)}`,
          displayName: user.displayName,
        },
      ];
    }),
  ),
  // hand-written in examples/org.yaml; claims alice@ unconfirmed
  'mallory-bb': { ref: 'user:default/mallory', displayName: 'Mallory Moss' },
};
const usernames = Object.keys(expected);

/** Why a sign-in's result is not exactly the identity of the Bitbucket user who signed in; undefined when it is */
function identityProblem(
  username: string,
  outcome: BackstageSignInOutcome,
): string | undefined {
  const want = expected[username];
  const identity = outcome.response?.backstageIdentity;
  if (!identity) {
    return `no identity (HTTP ${outcome.status}, ${
      outcome.error?.message ?? 'no error message'
    })`;
  }
  const claims = decodeBackstageToken(identity.token);
  if (claims.sub !== want.ref) return `token sub ${claims.sub}`;
  if (identity.identity.userEntityRef !== want.ref) {
    return `userEntityRef ${identity.identity.userEntityRef}`;
  }
  const { ownershipEntityRefs } = identity.identity;
  if (!ownershipEntityRefs.includes(want.ref)) {
    return `ownership refs ${ownershipEntityRefs}`;
  }
  if (outcome.response!.profile.displayName !== want.displayName) {
    return `profile ${outcome.response!.profile.displayName}`;
  }
  return undefined;
}

function catalogEntityPath(userRef: string) {
  return userRef.replace(/^user:default\//, 'user/default/');
}

async function fetchOwnUserEntity(backendUrl: string, token: string) {
  const sub = decodeBackstageToken(token).sub;
  return fetch(
    `${backendUrl}/api/catalog/entities/by-name/${catalogEntityPath(sub)}`,
    { headers: { authorization: `Bearer ${token}` } },
  );
}

/**
 * Two real packages/backend processes (replicas A and B) on one real
 * PostgreSQL, configured with app-config.production.yaml from POSTGRES_*
 * and APP_BASE_URL, as they would run behind one load balancer URL. They
 * share the one database TestDatabases made for this file, a schema per
 * plugin in it (production's default is a database per plugin).
 */
describe('two backend replicas sharing PostgreSQL', () => {
  /** The one database both replicas use, which TestDatabases made for this file */
  let db: Awaited<ReturnType<TestDatabases['init']>>;
  /** The cache both replicas share, as backend.cache in a deployment of several */
  let redis: TestRedis | undefined;
  let simulator: BitbucketSimulator | undefined;
  let configDir: string | undefined;
  const replicas: BackendProcess[] = [];
  let a: BackendProcess;
  let b: BackendProcess;
  /** The one URL both replicas sit behind: backend.baseUrl, app.baseUrl, the OAuth callback */
  let publicUrl: string;
  const env = 'production';

  const signIn = (startOn: string, callbackOn: string, username: string) =>
    signInAcrossReplicas({
      startOn,
      callbackOn,
      username,
      simulator: simulator!,
      appOrigin: publicUrl,
      env,
    });

  const logsOf = () =>
    replicas
      .map(r => {
        // start-up (where a plugin that fails to start says why) and the latest lines
        const out = r.output();
        const text =
          out.length > 16_000
            ? `${out.slice(0, 10_000)}\n[...]\n${out.slice(-6_000)}`
            : out;
        return `----- replica ${r.name} -----\n${text}`;
      })
      .join('\n');

  /** Until /.backstage/health/v1/readiness answers 200; fails fast when start-up failed */
  async function waitUntilReady(replica: BackendProcess) {
    const deadline = Date.now() + 90_000;
    for (let attempt = 0; attempt < 1000 && Date.now() < deadline; attempt++) {
      try {
        const res = await fetch(
          `${replica.url}/.backstage/health/v1/readiness`,
        );
        await res.text();
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      // A failed start-up leaves the process running, listening and "live",
      // but never ready: do not wait 90 s for it
      if (
        !replica.running() ||
        /Backend startup failed/.test(replica.output())
      ) {
        throw new Error(
          `replica ${replica.name} failed to start:\n${logsOf()}`,
        );
      }
      await new Promise(resolve => setTimeout(resolve, 200));
    }
    throw new Error(
      `replica ${replica.name} not ready within 90 s:\n${logsOf()}`,
    );
  }

  /** Until alice can sign in on it, i.e. the (shared) catalog holds acme's members */
  async function waitUntilSignsIn(replica: BackendProcess) {
    const deadline = Date.now() + 60_000;
    for (let attempt = 0; attempt < 1000 && Date.now() < deadline; attempt++) {
      try {
        const outcome = await signIn(replica.url, replica.url, 'alice-bb');
        if (outcome.response?.backstageIdentity) return;
      } catch {
        // retried until the deadline
      }
      await new Promise(resolve => setTimeout(resolve, 300));
    }
    throw new Error(
      `replica ${replica.name} did not sign alice in within 60 s:\n${logsOf()}`,
    );
  }

  beforeAll(async () => {
    if (!postgresId) throw new Error(noPostgres);
    db = await databases.init(postgresId);
    // what TestDatabases parsed from the connection string, and its database
    const pg = db.client.config.connection as Record<string, string | number>;
    redis = await startTestRedis();

    const [portA, portB, publicPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    // Never dialed by the backends (internal calls use backend.listen); only
    // the browser and Bitbucket's redirect would use it.
    publicUrl = `http://localhost:${publicPort}`;
    const clientSecret = crypto.randomBytes(16).toString('hex');
    simulator = await startBitbucketSimulator({
      consumers: [
        {
          key: 'replicas-client-id',
          secret: clientSecret,
          callbackUrl: `${publicUrl}/api/auth/bitbucket/handler/frame`,
          scopes: ['account', 'email'],
          // the org provider reads acme as alice-bb, an owner
          isPrivate: true,
          workspace: 'acme',
        },
      ],
    });

    configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'backend-replicas-'));
    const replicaEnv: Record<string, string> = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      APP_BASE_URL: publicUrl,
      POSTGRES_HOST: String(pg.host),
      POSTGRES_PORT: String(pg.port),
      POSTGRES_USER: String(pg.user),
      POSTGRES_PASSWORD: String(pg.password),
      AUTH_BITBUCKET_CLIENT_ID: 'replicas-client-id',
      AUTH_BITBUCKET_CLIENT_SECRET: clientSecret,
    };
    const start = (name: string, port: number) => {
      // Only what differs from production: the listen port, the database
      // (TestDatabases' one, a schema per plugin), Bitbucket's URLs, and the
      // org provider reading the simulator's acme workspace
      const overrides = path.join(
        configDir!,
        `app-config.replica-${name}.yaml`,
      );
      fs.writeFileSync(
        overrides,
        JSON.stringify({
          backend: {
            listen: { port, host: '127.0.0.1' },
            cache: { store: 'redis', connection: redis!.url },
            database: {
              pluginDivisionMode: 'schema',
              connection: { database: pg.database },
            },
          },
          auth: {
            providers: {
              bitbucket: {
                production: {
                  authorizationUrl: simulator!.authorizationUrl,
                  tokenUrl: simulator!.tokenUrl,
                  apiBaseUrl: simulator!.apiBaseUrl,
                },
              },
            },
          },
          catalog: {
            providers: {
              bitbucketCloudOrg: {
                acme: {
                  workspace: 'acme',
                  clientId: 'replicas-client-id',
                  clientSecret,
                  tokenUrl: simulator!.tokenUrl,
                  apiBaseUrl: simulator!.apiBaseUrl,
                },
              },
            },
          },
        }),
      );
      const replica = startBackendProcess({
        backendDir: path.join(repoRoot, 'packages/backend'),
        name,
        port,
        configFiles: [
          path.join(repoRoot, 'app-config.yaml'),
          path.join(repoRoot, 'app-config.production.yaml'),
          overrides,
        ],
        env: replicaEnv,
      });
      replicas.push(replica);
      return replica;
    };

    // One after the other, as a rolling deployment does: replicas started at
    // the same moment on an empty database race on the migrations (knex's
    // "Migration table is already locked", "relation ... already exists"),
    // and the loser stays up but never becomes ready.
    a = start('A', portA);
    await waitUntilReady(a);
    b = start('B', portB);
    await waitUntilReady(b);
    await waitUntilSignsIn(a);
    await waitUntilSignsIn(b);
  });

  afterAll(async () => {
    await Promise.allSettled(replicas.map(r => r.stop()));
    await simulator?.stop();
    await redis?.stop();
    if (configDir) fs.rmSync(configDir, { recursive: true, force: true });
  });

  it('keeps its data in the shared PostgreSQL, not SQLite', async () => {
    const { rows: schemas } = await db.raw(
      'SELECT nspname FROM pg_namespace ORDER BY nspname',
    );
    expect(schemas.map((row: { nspname: string }) => row.nspname)).toEqual(
      expect.arrayContaining(['auth', 'catalog']),
    );
    // the org provider's Users, which both replicas sign in against
    const [{ count }] = await db('catalog.final_entities').count({
      count: '*',
    });
    expect(Number(count)).toBeGreaterThan(0);
  });

  it('completes on replica B a sign-in started on replica A, and the other way round', async () => {
    for (const [startOn, callbackOn] of [
      [a, b],
      [b, a],
    ]) {
      for (const username of usernames) {
        const outcome = await signIn(startOn.url, callbackOn.url, username);
        expect({
          route: `${startOn.name}→${callbackOn.name}`,
          username,
          problem: identityProblem(username, outcome),
        }).toEqual({
          route: `${startOn.name}→${callbackOn.name}`,
          username,
          problem: undefined,
        });
      }
    }
  });

  it("accepts on B's catalog API a token issued by A (and vice versa), and rejects a forged one", async () => {
    const fromA = await signIn(a.url, a.url, 'bob-bb');
    const fromB = await signIn(b.url, b.url, 'dave-bb');
    const tokenA = fromA.response!.backstageIdentity!.token;
    const tokenB = fromB.response!.backstageIdentity!.token;

    const onB = await fetchOwnUserEntity(b.url, tokenA);
    expect(onB.status).toBe(200);
    expect((await onB.json()).metadata.name).toBe(
      expected['bob-bb'].ref.split('/')[1],
    );
    const onA = await fetchOwnUserEntity(a.url, tokenB);
    expect(onA.status).toBe(200);
    expect((await onA.json()).metadata.name).toBe(
      expected['dave-bb'].ref.split('/')[1],
    );

    // B really verifies A's signature: A's token with another sub is refused
    const [header, payload, signature] = tokenA.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = [
      header,
      Buffer.from(
        JSON.stringify({ ...claims, sub: expected['alice-bb'].ref }),
      ).toString('base64url'),
      signature,
    ].join('.');
    const forgedOnB = await fetch(
      `${b.url}/api/catalog/entities/by-name/${catalogEntityPath(
        expected['alice-bb'].ref,
      )}`,
      { headers: { authorization: `Bearer ${forged}` } },
    );
    expect(forgedOnB.status).toBe(401);
    await forgedOnB.text();

    // One key store: both replicas publish the same signing keys
    const jwks = async (url: string) =>
      (
        (await (await fetch(`${url}/api/auth/.well-known/jwks.json`)).json())
          .keys as Array<{ kid: string }>
      )
        .map(k => k.kid)
        .sort();
    const [kidsA, kidsB] = [await jwks(a.url), await jwks(b.url)];
    expect(kidsA).toEqual(kidsB);
    for (const token of [tokenA, tokenB]) {
      const { kid } = JSON.parse(
        Buffer.from(token.split('.')[0], 'base64url').toString(),
      );
      expect(kidsB).toContain(kid);
    }
  });

  it('refreshes on B a session signed in on A', async () => {
    const first = await signIn(a.url, a.url, 'mallory-bb');
    expect(identityProblem('mallory-bb', first)).toBeUndefined();
    const refreshed = await refreshBackstageSession({
      backendUrl: b.url,
      cookies: first.cookies,
      env,
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.backstageIdentity.identity.userEntityRef).toBe(
      'user:default/mallory',
    );
    const token = refreshed.body.backstageIdentity.token;
    expect(decodeBackstageToken(token).sub).toBe('user:default/mallory');
    expect((await fetchOwnUserEntity(a.url, token)).status).toBe(200);
  });

  it('keeps every tab signed in when three refresh one session at once, across both replicas', async () => {
    const first = await signIn(a.url, a.url, 'alice-bb');
    const tabs = await Promise.all(
      [a, b, a].map(replica =>
        refreshBackstageSession({
          backendUrl: replica.url,
          cookies: first.cookies,
          env,
        }),
      ),
    );
    expect(tabs.map(tab => tab.status)).toEqual([200, 200, 200]);
    // Bitbucket rotated the token once: every tab holds its successor
    const cookies = new Set(tabs.map(tab => tab.cookies.join('; ')));
    expect(cookies.size).toBe(1);
    const next = await refreshBackstageSession({
      backendUrl: b.url,
      cookies: tabs[1].cookies,
      env,
    });
    expect(next.status).toBe(200);
  });

  it('signs in a burst of 500 at 50 concurrent across both replicas: no errors, no mixed identities', async () => {
    const urls = [a.url, b.url];
    const started = Date.now();
    const results = await burst({
      count: 500,
      concurrency: 50,
      taskTimeoutMs: 30_000,
      totalTimeoutMs: 60_000,
      task: async i => {
        const username = usernames[i % usernames.length];
        // every route a load balancer without sticky sessions may take: A→A, B→A, A→B, B→B
        const route = Math.floor(i / usernames.length) % 4;
        const outcome = await signIn(
          urls[route % 2],
          urls[Math.floor(route / 2)],
          username,
        );
        return { username, outcome };
      },
    });
    const elapsed = Date.now() - started;

    const problems = results.flatMap(r => {
      if (!r.ok) return [`#${r.index}: ${r.error.message}`];
      const problem = identityProblem(r.value.username, r.value.outcome);
      return problem ? [`#${r.index} ${r.value.username}: ${problem}`] : [];
    });
    expect(problems.slice(0, 20)).toEqual([]);
    expect(problems).toHaveLength(0);

    // no two sign-ins got the same Bitbucket session or Backstage token
    const oks = results.filter(
      (r): r is Extract<typeof r, { ok: true }> => r.ok,
    );
    const accessTokens = new Set(
      oks.map(r => r.value.outcome.response!.providerInfo.accessToken),
    );
    const backstageTokens = new Set(
      oks.map(r => r.value.outcome.response!.backstageIdentity!.token),
    );
    expect(accessTokens.size).toBe(500);
    expect(backstageTokens.size).toBe(500);

    const ms = results.map(r => r.ms);
    // eslint-disable-next-line no-console
    console.info(
      `500 sign-ins at 50 concurrent over 2 replicas in ${elapsed} ms: ` +
        `p50 ${percentile(ms, 50)} ms, p95 ${percentile(
          ms,
          95,
        )} ms, max ${percentile(ms, 100)} ms`,
    );
  });

  // Last: it kills replica A
  it('loses no sign-in sent to B when A is killed in the middle of a burst of 200', async () => {
    let killedAt: number | undefined;
    let killing: Promise<void> | undefined;
    type Sent = { username: string; outcome: BackstageSignInOutcome };
    // even-numbered sign-ins go (start and callback) to A, odd ones to B
    const sentTo = (index: number) => (index % 2 === 0 ? a : b);
    const results: BurstResult<Sent>[] = await burst({
      count: 200,
      concurrency: 50,
      taskTimeoutMs: 30_000,
      totalTimeoutMs: 60_000,
      task: async i => {
        const username = usernames[i % usernames.length];
        const to = sentTo(i);
        return { username, outcome: await signIn(to.url, to.url, username) };
      },
      onSettled: (_result, settled) => {
        if (settled === 50 && !killing) {
          killedAt = settled;
          killing = a.kill(); // SIGKILL, as when its node or container dies
        }
      },
    });
    await killing;
    expect(killedAt).toBe(50);
    expect(a.running()).toBe(false);

    const toB = results.filter(r => sentTo(r.index) === b);
    const toA = results.filter(r => sentTo(r.index) === a);
    expect(toB).toHaveLength(100);
    expect(toA).toHaveLength(100);

    // every sign-in sent to B succeeded, as the right user
    const problemsOnB = toB.flatMap(r => {
      if (!r.ok) return [`#${r.index}: ${r.error.message}`];
      const problem = identityProblem(r.value.username, r.value.outcome);
      return problem ? [`#${r.index}: ${problem}`] : [];
    });
    expect(problemsOnB).toEqual([]);

    // A died mid-burst: some of its sign-ins finished first, the rest failed
    // cleanly (connection refused or reset), none as someone else
    const okOnA = toA.filter(r => r.ok) as Array<
      Extract<BurstResult<Sent>, { ok: true }>
    >;
    const failedOnA = toA.filter(r => !r.ok);
    expect(okOnA.length).toBeGreaterThan(0);
    expect(failedOnA.length).toBeGreaterThan(0);
    const reasons = new Set(failedOnA.map(r => (r.ok ? '' : r.error.message)));
    // eslint-disable-next-line no-console
    console.info(
      `A killed after 50 of 200 settled: B ${
        toB.filter(r => r.ok).length
      }/100 signed in; A ${okOnA.length} answered, ${
        failedOnA.length
      } failed (${[...reasons].join('; ')})`,
    );
    // a sign-in A answered after the kill began may have no identity, never a wrong one
    const wrongOnA = okOnA
      .filter(r => r.value.outcome.response?.backstageIdentity)
      .map(r => identityProblem(r.value.username, r.value.outcome))
      .filter(problem => problem !== undefined);
    expect(wrongOnA).toEqual([]);

    // Tokens and sessions A issued before it died still work on B
    const issuedByA = okOnA.find(
      r => r.value.outcome.response?.backstageIdentity,
    );
    if (!issuedByA) throw new Error('A issued no token before it was killed');
    const tokenFromA =
      issuedByA.value.outcome.response!.backstageIdentity!.token;
    expect((await fetchOwnUserEntity(b.url, tokenFromA)).status).toBe(200);
    const refreshed = await refreshBackstageSession({
      backendUrl: b.url,
      cookies: issuedByA.value.outcome.cookies,
      env,
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.backstageIdentity.identity.userEntityRef).toBe(
      expected[issuedByA.value.username].ref,
    );

    // and B keeps signing people in
    const after = await signIn(b.url, b.url, 'alice-bb');
    expect(identityProblem('alice-bb', after)).toBeUndefined();
  });
});
