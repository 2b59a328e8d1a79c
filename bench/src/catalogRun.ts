/**
 * `yarn workspace bench bench:catalog`: sign-in with 10 and with 10,000 User
 * entities in the catalog, on PostgreSQL, through a chain of four resolvers of
 * which only the last matches. Two backends with our module, alike but for
 * their catalog (and their databases), measured in alternating blocks; then
 * the catalog lookups and the Bitbucket calls of one sign-in replayed from
 * outside, to say where the time goes. See bench/README.md.
 */
import type { BitbucketSimulator } from '@bitbucket-signin/bitbucket-cloud-simulator';
import { startTestPostgres, TestPostgres } from '@bitbucket-signin/test-kit';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  catalogYaml,
  resolverRequests,
  SigningUser,
  signingUsers,
} from './catalogUsers';
import { loadRecord, runMeasuredLoad, signIn } from './driver';
import { runEnvironment } from './machine';
import {
  assertListensOn,
  BackendProcess,
  backendConfig,
  benchConsumer,
  benchDir,
  CLIENT_SECRET,
  freePorts,
  runMain,
  startBackend,
  startBenchSimulator,
} from './processes';
import { bitbucketApiCalls, comparisonTable } from './report';
import { pairedRatio, percentile, sum } from './stats';
import type { BlockMeasure } from './types';

/** The run ends before this, startup to shutdown */
const BUDGET_MS = 290_000;
/** Ingestion of the 10,000 users must be done by then */
const READY_BY_MS = 200_000;
/** Token, user and emails: what our module calls per sign-in */
const CALLS_PER_SIGN_IN = 3;
const RESOLVERS = [
  'emailMatchingUserEntityProfileEmail',
  'emailLocalPartMatchingUserEntityName',
  'userIdMatchingUserEntityAnnotation',
  'usernameMatchingUserEntityAnnotation',
];

type Size = 'small' | 'large';
const sizes: Size[] = ['small', 'large'];
const users: Record<Size, number> = { small: 10, large: 10_000 };
const label: Record<Size, string> = {
  small: '10 users',
  large: '10,000 users',
};
/** Database name prefix: `${prefix}catalog`, `${prefix}auth`, … */
const prefix: Record<Size, string> = {
  small: 'bench_u10_',
  large: 'bench_u10k_',
};

const began = performance.now();
const elapsed = () => performance.now() - began;
const log = (message: string) =>
  process.stderr.write(
    `[bench:catalog ${(elapsed() / 1000).toFixed(1)}s] ${message}\n`,
  );

const running: BackendProcess[] = [];
let simulator: BitbucketSimulator | undefined;
let postgres: TestPostgres | undefined;
let workDir: string | undefined;

async function shutdown() {
  await Promise.all(running.map(backend => backend.stop()));
  running.length = 0;
  await simulator?.stop();
  await postgres?.stop();
  if (workDir) {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

/** ABBA: small first in even rounds, large first in odd ones */
const orderOf = (round: number): Size[] =>
  round % 2 === 0 ? ['small', 'large'] : ['large', 'small'];

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** The socket inodes process `pid` holds */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match) inodes.add(match[1]);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/**
 * Local TCP port → inodes of the 127.0.0.1 sockets on it that are connected
 * to `remotePort`, from /proc/net/tcp. A port can appear more than once (a
 * closed connection in TIME_WAIT, inode 0, next to a live one on the same
 * port), so all are kept.
 */
function clientSocketInodes(remotePort: number): Map<number, Set<string>> {
  const map = new Map<number, Set<string>>();
  const remote = `0100007F:${remotePort
    .toString(16)
    .toUpperCase()
    .padStart(4, '0')}`;
  for (const line of fs
    .readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1]?.startsWith('0100007F:') && f[2] === remote && f[9] !== '0') {
      const localPort = parseInt(f[1].split(':')[1], 16);
      if (!map.has(localPort)) map.set(localPort, new Set());
      map.get(localPort)!.add(f[9]);
    }
  }
  return map;
}

interface Block extends BlockMeasure {
  size: Size;
}

interface StatementStat {
  database: string;
  query: string;
  calls: number;
  /** Planning + execution, ms in all */
  totalMs: number;
  planMs: number;
  execMs: number;
  meanMs: number;
}

async function main() {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const resultsDir = path.join(benchDir, 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bitbucket-bench-catalog-'));

  // One PostgreSQL server; pg_stat_statements for the database side of the breakdown
  let statementsLoaded = true;
  try {
    postgres = await startTestPostgres({
      settings: {
        shared_preload_libraries: 'pg_stat_statements,auto_explain',
        'auto_explain.log_analyze': 'on',
        log_line_prefix: '%m [%p] db=%d ',
        'pg_stat_statements.track': 'all',
        'pg_stat_statements.track_planning': 'on',
        'pg_stat_statements.max': '10000',
      },
    });
    postgres.psql('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  } catch (error) {
    log(
      `pg_stat_statements not loadable (${
        (error as Error).message.split('\n')[0]
      }); running without the database breakdown`,
    );
    await postgres?.stop();
    statementsLoaded = false;
    postgres = await startTestPostgres();
  }
  const pg = postgres;
  const serverVersion = pg.psql('SHOW server_version');
  log(`PostgreSQL ${serverVersion} on ${pg.host}:${pg.port}`);

  const ports = await freePorts(2);
  const port: Record<Size, number> = { small: ports[0], large: ports[1] };
  const consumerOf = (size: Size) =>
    benchConsumer(`bench-catalog-${size}`, port[size]);
  simulator = await startBenchSimulator(sizes.map(consumerOf));
  const sim = simulator;
  log(`simulator on ${sim.url} (in this process)`);

  // Static token for the bench's own catalog requests (readiness, replay)
  const catalogToken = crypto.randomBytes(24).toString('hex');
  const backends = {} as Record<Size, BackendProcess>;
  for (const size of sizes) {
    const catalogFile = path.join(workDir, `catalog-${users[size]}.yaml`);
    fs.writeFileSync(catalogFile, catalogYaml(users[size]));
    const base = backendConfig({
      port: port[size],
      clientId: consumerOf(size).key,
      clientSecret: CLIENT_SECRET,
      simulatorUrl: sim.url,
    });
    const dev = base.auth.providers.bitbucket.development;
    const config = {
      ...base,
      backend: {
        ...base.backend,
        database: {
          client: 'pg',
          connection: {
            host: pg.host,
            port: pg.port,
            user: pg.user,
            password: pg.password,
          },
          prefix: prefix[size],
        },
        auth: {
          externalAccess: [
            {
              type: 'static',
              options: { token: catalogToken, subject: 'bench-catalog' },
            },
          ],
        },
      },
      auth: {
        ...base.auth,
        providers: {
          bitbucket: {
            development: {
              ...dev,
              signIn: { resolvers: RESOLVERS.map(resolver => ({ resolver })) },
            },
          },
        },
      },
      catalog: {
        ...base.catalog,
        locations: [{ type: 'file', target: catalogFile }],
      },
    };
    const configFile = path.join(workDir, `${size}.json`);
    fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
    const backend = await startBackend({
      name: label[size],
      entry: path.join(benchDir, 'src', 'ourBackend.ts'),
      port: port[size],
      configFile,
      simulatorUrl: sim.url,
    });
    running.push(backend);
    backends[size] = backend;
  }
  log(
    `backends starting (our module, PostgreSQL): ${sizes
      .map(s => `${label[s]} pid ${backends[s].pid} on ${backends[s].url}`)
      .join('; ')}`,
  );

  const catalogGet = async (size: Size, pathname: string) => {
    const response = await fetch(
      `${backends[size].url}/api/catalog${pathname}`,
      { headers: { authorization: `Bearer ${catalogToken}` } },
    );
    const text = await response.text();
    return { status: response.status, text };
  };
  const userCount = async (size: Size): Promise<number> => {
    try {
      const { status, text } = await catalogGet(
        size,
        `/entities/by-query?filter=${encodeURIComponent('kind=user')}&limit=1`,
      );
      return status === 200 ? Number(JSON.parse(text).totalItems) : -1;
    } catch {
      return -1; // not listening yet
    }
  };

  // Ready: the catalog API serves exactly the generated users, and every signing user signs in
  const readyAt = {} as Record<Size, number>;
  const countAtReady = {} as Record<Size, number>;
  await Promise.all(
    sizes.map(async size => {
      let lastLog = 0;
      for (;;) {
        const count = await userCount(size);
        if (count === users[size]) {
          countAtReady[size] = count;
          break;
        }
        if (count > users[size]) {
          throw new Error(
            `the ${label[size]} backend serves ${count} User entities, more than the ${users[size]} generated`,
          );
        }
        if (backends[size].child.exitCode !== null) {
          throw new Error(
            `the ${label[size]} backend exited:\n${backends[size].output()}`,
          );
        }
        if (elapsed() > READY_BY_MS) {
          throw new Error(
            `the ${label[size]} backend serves ${count} of ${
              users[size]
            } User entities after ${(READY_BY_MS / 1000).toFixed(
              0,
            )} s; its last output:\n${backends[size].output()}`,
          );
        }
        if (elapsed() - lastLog > 15_000) {
          lastLog = elapsed();
          log(`${label[size]}: ${Math.max(0, count)} User entities so far`);
        }
        await sleep(500);
      }
      for (const user of signingUsers) {
        for (let attempt = 1; ; attempt++) {
          const outcome = await signIn(backends[size].url, sim, user);
          if (outcome.ok) break;
          if (attempt >= 20) {
            throw new Error(
              `${user.username} cannot sign in on the ${label[size]} backend: ${outcome.error}`,
            );
          }
          await sleep(250);
        }
      }
      readyAt[size] = elapsed();
    }),
  );
  log(
    `ready: ${sizes
      .map(
        s =>
          `${label[s]} after ${(readyAt[s] / 1000).toFixed(1)} s (${
            countAtReady[s]
          } User entities)`,
      )
      .join('; ')}`,
  );

  // Integrity: each backend holds its port, is on PostgreSQL with its own
  // databases (every connection to them is a socket of that backend), and
  // its catalog database holds its users
  const integrity: Record<Size, Record<string, unknown>> = {
    small: {},
    large: {},
  };
  const checkIntegrity = async (when: string) => {
    for (const size of sizes) {
      const { pid } = backends[size];
      assertListensOn(pid, port[size], label[size]);
      // A connection opened or closed between the two reads looks foreign:
      // read again, and fail only on what stays foreign across 5 reads
      let rows: string[][] = [];
      let foreign: string[][] = [];
      for (let attempt = 1; attempt <= 5; attempt++) {
        rows = pg
          .psql(
            `SELECT datname, client_port FROM pg_stat_activity WHERE starts_with(datname, '${prefix[size]}') AND usename = '${pg.user}'`,
          )
          .split('\n')
          .filter(Boolean)
          .map(line => line.split('|'));
        const portInodes = clientSocketInodes(pg.port);
        const own = socketInodes(pid);
        foreign = rows.filter(
          ([, clientPort]) =>
            ![...(portInodes.get(Number(clientPort)) ?? [])].some(inode =>
              own.has(inode),
            ),
        );
        if (foreign.length === 0) break;
        await sleep(200);
      }
      const databases = [...new Set(rows.map(r => r[0]))].sort();
      for (const needed of ['catalog', 'auth']) {
        if (!databases.includes(`${prefix[size]}${needed}`)) {
          throw new Error(
            `${when}: PostgreSQL has no connection to ${prefix[size]}${needed} (databases with connections: ${databases}); the ${label[size]} backend is not on PostgreSQL as configured, and the run reports nothing`,
          );
        }
      }
      if (foreign.length > 0) {
        throw new Error(
          `${when}: ${foreign.length} of ${rows.length} connections to the ${
            label[size]
          } backend's databases are not its sockets (${foreign
            .map(r => `${r[0]}:${r[1]}`)
            .join(', ')}); the run reports nothing`,
        );
      }
      const inDatabase = Number(
        pg.psql(
          `SELECT count(DISTINCT entity_id) FROM search WHERE key = 'kind' AND value = 'user'`,
          `${prefix[size]}catalog`,
        ),
      );
      if (inDatabase !== users[size]) {
        throw new Error(
          `${when}: ${prefix[size]}catalog holds ${inDatabase} User entities, not ${users[size]}; the run reports nothing`,
        );
      }
      integrity[size] = {
        pid,
        port: port[size],
        databases,
        connections: rows.length,
        userEntitiesInDatabase: inDatabase,
        userEntitiesFromApi: countAtReady[size],
      };
    }
  };
  await checkIntegrity('at ready');
  log(
    `checked: ${sizes
      .map(
        s =>
          `${label[s]}: ${
            integrity[s].connections
          } PostgreSQL connections to ${(
            integrity[s].databases as string[]
          ).join(', ')}, all its own; ${
            integrity[s].userEntitiesInDatabase
          } users in its catalog database`,
      )
      .join('; ')}`,
  );

  const timeLeft = () => BUDGET_MS - elapsed();
  const blocks: Block[] = [];
  const runBlock = async (
    size: Size,
    phase: string,
    options: { concurrency: number; count: number; maxMs: number },
  ) => {
    const backend = backends[size];
    sim.setLatency(0);
    sim.resetRequestCounts();
    const { result, backendCpuMs, machineBusyCores } = await runMeasuredLoad(
      backend,
      {
        simulator: sim,
        concurrency: options.concurrency,
        count: options.count,
        maxMs: Math.max(0, Math.min(options.maxMs, timeLeft() - 20_000)),
        users: signingUsers,
        userOffset: blocks.length,
      },
    );
    const calls = sim.requestCounts();
    const apiCalls = bitbucketApiCalls(calls);
    if (apiCalls !== CALLS_PER_SIGN_IN * result.attempted) {
      throw new Error(
        `${phase}: the ${label[size]} backend made ${apiCalls} Bitbucket calls for ${result.attempted} sign-ins, not ${CALLS_PER_SIGN_IN} each: it did not serve them with our module, and the run reports nothing`,
      );
    }
    const block: Block = {
      phase,
      size,
      concurrency: options.concurrency,
      ...loadRecord(result),
      backendCpuMs,
      machineBusyCores,
      bitbucketCalls: calls,
    };
    if (result.attempted > 0) blocks.push(block);
    return block;
  };
  const alternate = async (
    phase: string,
    options: { concurrency: number; perBlock: number; rounds: number },
    maxMs: number,
  ) => {
    const started = elapsed();
    for (let round = 0; round < options.rounds; round++) {
      for (const size of orderOf(round)) {
        await runBlock(size, phase, {
          concurrency: options.concurrency,
          count: options.perBlock,
          maxMs,
        });
      }
    }
    log(
      `${phase}: ${sizes
        .map(s => {
          const mine = blocks.filter(b => b.phase === phase && b.size === s);
          const errors = sum(mine.map(b => b.errors));
          return `${label[s]} ${sum(mine.map(b => b.succeeded))} ok${
            errors ? `, ${errors} errors` : ''
          }`;
        })
        .join('; ')} (${((elapsed() - started) / 1000).toFixed(1)} s)`,
    );
  };

  const resetStatements = () => {
    if (statementsLoaded) pg.psql('SELECT pg_stat_statements_reset()');
  };
  /** Statements run in one backend's databases since the last reset */
  const readStatements = (size: Size): StatementStat[] => {
    if (!statementsLoaded) return [];
    return pg
      .psql(
        `SELECT d.datname, s.calls, s.total_plan_time, s.total_exec_time, replace(replace(s.query, chr(10), ' '), '|', '/')
           FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
          WHERE starts_with(d.datname, '${prefix[size]}')
          ORDER BY s.total_plan_time + s.total_exec_time DESC`,
      )
      .split('\n')
      .filter(Boolean)
      .map(line => {
        const [database, calls, planMs, execMs, ...query] = line.split('|');
        const totalMs = Number(planMs) + Number(execMs);
        return {
          database,
          calls: Number(calls),
          totalMs,
          planMs: Number(planMs),
          execMs: Number(execMs),
          meanMs: totalMs / Number(calls),
          query: query.join('|').replace(/\s+/g, ' ').slice(0, 400),
        };
      });
  };

  // Warm-up (not counted): JIT, connection pools, the database's caches
  await alternate(
    'warm-up',
    { concurrency: 10, perBlock: 200, rounds: 2 },
    8_000,
  );
  blocks.length = 0;

  // Latency at concurrency 1, with PostgreSQL's statement counters around it
  resetStatements();
  await alternate(
    'latency c=1',
    { concurrency: 1, perBlock: 40, rounds: 10 },
    8_000,
  );
  const latencyStatements = {} as Record<Size, StatementStat[]>;
  const lookupsPerSignIn = {} as Record<Size, number>;
  for (const size of sizes) {
    latencyStatements[size] = readStatements(size);
    // From the database's side: each sign-in made the four lookups, no more
    const signIns = sum(
      blocks
        .filter(b => b.size === size && b.phase === 'latency c=1')
        .map(b => b.attempted),
    );
    const lookups =
      sum(
        latencyStatements[size]
          .filter(
            st =>
              st.database === `${prefix[size]}catalog` && isLookupStatement(st),
          )
          .map(st => st.calls),
      ) / signIns;
    if (statementsLoaded && Math.abs(lookups - RESOLVERS.length) > 0.1) {
      throw new Error(
        `the ${label[size]} backend's catalog ran ${lookups.toFixed(
          2,
        )} lookup statements per sign-in, not ${
          RESOLVERS.length
        }: the chain did not run as designed, and the run reports nothing`,
      );
    }
    lookupsPerSignIn[size] = lookups;
  }

  await alternate(
    'throughput c=10',
    { concurrency: 10, perBlock: 300, rounds: 10 },
    2_500,
  );
  await checkIntegrity('after the sign-ins');

  // Replay 1: the four catalog lookups of one sign-in, as the auth backend
  // makes them (same paths, same filters), timed from here at concurrency 1
  const replayRounds = 4;
  const replayPerUser = 8;
  const lookupMs: Record<Size, Record<string, number[][]>> = {
    small: {},
    large: {},
  };
  const lookupDbMs: Record<
    Size,
    Record<string, Array<{ planMs: number; execMs: number }>>
  > = {
    small: {},
    large: {},
  };
  const replayStarted = elapsed();
  for (const size of sizes) {
    // one untimed pass per request, and a check of what it finds
    for (const user of signingUsers) {
      for (const request of resolverRequests(user)) {
        const { status, text } = await catalogGet(size, request.path);
        const found = checkLookup(status, text, request.expect, user);
        if (found !== undefined) {
          throw new Error(
            `${label[size]}, ${request.resolver} for ${user.username}: ${found}; the chain is not first-three-miss, last-matches, and the run reports nothing`,
          );
        }
      }
    }
  }
  for (let round = 0; round < replayRounds; round++) {
    for (const resolver of RESOLVERS) {
      for (const size of orderOf(round + RESOLVERS.indexOf(resolver))) {
        const samples: number[] = [];
        resetStatements();
        for (let rep = 0; rep < replayPerUser; rep++) {
          for (const user of signingUsers) {
            const request = resolverRequests(user).find(
              r => r.resolver === resolver,
            )!;
            const t0 = performance.now();
            const { status, text } = await catalogGet(size, request.path);
            samples.push(performance.now() - t0);
            const problem = checkLookup(status, text, request.expect, user);
            if (problem !== undefined) {
              throw new Error(`${label[size]}, ${resolver}: ${problem}`);
            }
          }
        }
        const db = readStatements(size).filter(
          s => s.database === `${prefix[size]}catalog` && isLookupStatement(s),
        );
        (lookupMs[size][resolver] ??= []).push(samples);
        (lookupDbMs[size][resolver] ??= []).push({
          planMs: sum(db.map(st => st.planMs)) / samples.length,
          execMs: sum(db.map(st => st.execMs)) / samples.length,
        });
      }
    }
  }
  log(
    `catalog lookups replayed: ${replayRounds} rounds x ${
      replayPerUser * signingUsers.length
    } per resolver and backend (${((elapsed() - replayStarted) / 1000).toFixed(
      1,
    )} s)`,
  );

  // The query plans of one sign-in's four lookups, with real parameters:
  // auto_explain (ANALYZE) switched on for a moment, the server log parsed
  const plans = {} as Record<Size, ExplainedLookup[]>;
  if (statementsLoaded) {
    for (const size of sizes) {
      const marker = `bench-explain-${size}-${Date.now()}`;
      pg.psql(`DO $$ BEGIN RAISE LOG '${marker}'; END $$`);
      pg.psql('ALTER SYSTEM SET auto_explain.log_min_duration = 0');
      pg.psql('SELECT pg_reload_conf()');
      await sleep(500);
      for (const request of resolverRequests(signingUsers[0])) {
        await catalogGet(size, request.path);
      }
      pg.psql('ALTER SYSTEM RESET auto_explain.log_min_duration');
      pg.psql('SELECT pg_reload_conf()');
      await sleep(300);
      plans[size] = parsePlans(
        pg.output().split(marker).pop() ?? '',
        `${prefix[size]}catalog`,
      );
    }
  }

  // Replay 2: the Bitbucket calls of one sign-in (code exchange, then user and
  // emails at once), made from here against the simulator
  const bitbucketMs = await replayBitbucket(sim, consumerOf('small'), 200);
  log(`Bitbucket calls replayed: ${bitbucketMs.length}`);

  await shutdown();

  const report = buildCatalogReport({
    blocks,
    lookupMs,
    lookupDbMs,
    bitbucketMs,
    latencyStatements,
    statementsLoaded,
    plans,
    lookupsPerSignIn,
  });
  printCatalogReport(report);
  const run = {
    startedAt: new Date(Date.now() - elapsed()).toISOString(),
    totalSeconds: elapsed() / 1000,
    environment: {
      ...runEnvironment(),
      postgres: serverVersion,
      pgStatStatements: statementsLoaded,
    },
    users,
    resolvers: RESOLVERS,
    readySeconds: {
      small: readyAt.small / 1000,
      large: readyAt.large / 1000,
    },
    integrity,
    blocks,
    lookupMs,
    lookupDbMs,
    bitbucketMs,
    latencyStatements,
    lookupsPerSignIn,
    plans,
  };
  const json = JSON.stringify({ report, run }, null, 2);
  const file = path.join(resultsDir, `catalog-${stamp}.json`);
  fs.writeFileSync(file, json);
  fs.writeFileSync(path.join(resultsDir, 'catalog-latest.json'), json);
  process.stdout.write(
    `\nRun time ${(elapsed() / 1000).toFixed(0)} s. JSON: ${path.relative(
      process.cwd(),
      file,
    )} (and bench/results/catalog-latest.json)\n`,
  );
}

/** Undefined when a replayed lookup found what the chain expects; else what it found */
function checkLookup(
  status: number,
  text: string,
  expect: 'none' | 'one',
  user: SigningUser,
): string | undefined {
  if (status === 404 && expect === 'none') return undefined;
  if (status !== 200) return `HTTP ${status}`;
  const body = JSON.parse(text);
  const items: Array<{ metadata?: { name?: string } }> = Array.isArray(body)
    ? body
    : [body];
  if (expect === 'none') {
    return items.length === 0 ? undefined : `found ${items.length}`;
  }
  return items.length === 1 && items[0].metadata?.name === user.entityName
    ? undefined
    : `found ${items.map(i => i.metadata?.name).join(', ') || 'nobody'}`;
}

interface ExplainedLookup {
  /** In order of the chain, when the log holds exactly four lookups */
  resolver: string;
  durationMs: number;
  /** `Index Scan using <index> on <table>` and the like */
  scans: string[];
  plan: string;
}

/**
 * auto_explain's entries in the server log after the marker: the catalog's
 * lookup statements only (background statements of the processing loop are
 * logged too, and dropped here).
 */
function parsePlans(serverLog: string, database: string): ExplainedLookup[] {
  const entries = serverLog
    .split(/\n(?=\d{4}-\d\d-\d\d [\d:.]+ \S+ \[\d+\] db=)/)
    .filter(entry => entry.includes(` db=${database} `))
    .map(entry =>
      /LOG: {2}duration: ([\d.]+) ms {2}plan:\n([\s\S]*)/.exec(entry),
    )
    .filter((m): m is RegExpExecArray => m !== null)
    .map(m => ({ durationMs: Number(m[1]), plan: m[2].trim() }))
    .filter(
      e =>
        /final_entities|search/i.test(e.plan) &&
        !/refresh_state|stitch_queue/i.test(e.plan),
    );
  return entries.map((e, i) => ({
    resolver:
      entries.length === RESOLVERS.length ? RESOLVERS[i] : `lookup ${i + 1}`,
    durationMs: e.durationMs,
    scans: [
      ...new Set(
        [
          ...e.plan.matchAll(
            /((?:Parallel )?(?:Index Only Scan|Index Scan|Bitmap Index Scan|Seq Scan)(?: Backward)?(?: using \S+)? on \S+)/g,
          ),
        ].map(m => m[1]),
      ),
    ],
    plan: e.plan,
  }));
}

/** The catalog's read statements, not its processing loop's (refresh_state) or the scheduler's */
function isLookupStatement(s: StatementStat) {
  return (
    /final_entities|search/i.test(s.query) && !/refresh_state/i.test(s.query)
  );
}

/** Code exchange, then user and emails in parallel, as our module does; ms each */
async function replayBitbucket(
  sim: BitbucketSimulator,
  consumer: { key: string; secret: string; callbackUrl: string },
  count: number,
): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true });
  const request = (
    method: string,
    url: string,
    headers: Record<string, string>,
    body?: string,
  ) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(url, { method, headers, agent }, res => {
        const chunks: Buffer[] = [];
        res.on('data', c => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  const samples: number[] = [];
  const basic = Buffer.from(`${consumer.key}:${consumer.secret}`).toString(
    'base64',
  );
  try {
    for (let i = 0; i < count + 20; i++) {
      const user = signingUsers[i % signingUsers.length];
      const callback = new URL(
        await sim.approve(
          `${sim.url}/site/oauth2/authorize?client_id=${
            consumer.key
          }&response_type=code&state=replay&redirect_uri=${encodeURIComponent(
            consumer.callbackUrl,
          )}`,
          user.username,
        ),
      );
      const t0 = performance.now();
      const token = await request(
        'POST',
        sim.tokenUrl,
        {
          authorization: `Basic ${basic}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        new URLSearchParams({
          grant_type: 'authorization_code',
          code: callback.searchParams.get('code')!,
          redirect_uri: consumer.callbackUrl,
        }).toString(),
      );
      const accessToken = JSON.parse(token.text).access_token;
      const auth = { authorization: `Bearer ${accessToken}` };
      const [profile, emails] = await Promise.all([
        request('GET', `${sim.apiBaseUrl}/user`, auth),
        request('GET', `${sim.apiBaseUrl}/user/emails`, auth),
      ]);
      const ms = performance.now() - t0;
      if (
        token.status !== 200 ||
        profile.status !== 200 ||
        emails.status !== 200
      ) {
        throw new Error(
          `Bitbucket replay: ${token.status}/${profile.status}/${emails.status}`,
        );
      }
      if (i >= 20) samples.push(ms); // the first 20 warm up
    }
  } finally {
    agent.destroy();
  }
  return samples;
}

interface CatalogRow {
  metric: string;
  unit: string;
  small: number;
  large: number;
  ratio: number | null;
  ci?: { low: number; high: number; pairs: number };
  decimals: number;
}

function buildCatalogReport(input: {
  blocks: Block[];
  lookupMs: Record<Size, Record<string, number[][]>>;
  lookupDbMs: Record<
    Size,
    Record<string, Array<{ planMs: number; execMs: number }>>
  >;
  bitbucketMs: number[];
  latencyStatements: Record<Size, StatementStat[]>;
  statementsLoaded: boolean;
  plans: Record<Size, ExplainedLookup[]>;
  lookupsPerSignIn: Record<Size, number>;
}) {
  const { blocks, lookupMs, lookupDbMs, bitbucketMs, latencyStatements } =
    input;
  const rows: CatalogRow[] = [];
  const add = (
    metric: string,
    unit: string,
    value: (size: Size) => number,
    options: {
      decimals?: number;
      ci?: { ratio: number; low: number; high: number; pairs: number };
    } = {},
  ) => {
    const small = value('small');
    const large = value('large');
    rows.push({
      metric,
      unit,
      small,
      large,
      ratio:
        small !== 0 && Number.isFinite(large / small) ? large / small : null,
      ci: options.ci,
      decimals: options.decimals ?? 1,
    });
  };
  const of = (size: Size, phase: string) =>
    blocks.filter(b => b.size === size && b.phase === phase);
  const latencySamples = (size: Size) =>
    of(size, 'latency c=1').flatMap(b => b.callbackMs);
  const perBlockP = (size: Size, phase: string, p: number) =>
    of(size, phase).map(b => percentile(b.callbackMs, p));
  add('callback p50, c=1', 'ms', s => percentile(latencySamples(s), 50), {
    ci: pairedRatio(
      perBlockP('large', 'latency c=1', 50),
      perBlockP('small', 'latency c=1', 50),
    ),
  });
  add('callback p95, c=1', 'ms', s => percentile(latencySamples(s), 95), {
    ci: pairedRatio(
      perBlockP('large', 'latency c=1', 95),
      perBlockP('small', 'latency c=1', 95),
    ),
  });
  const rate = (size: Size) => {
    const mine = of(size, 'throughput c=10');
    return (
      sum(mine.map(b => b.succeeded)) / (sum(mine.map(b => b.elapsedMs)) / 1000)
    );
  };
  add('sign-ins/s at 10 concurrent', '/s', rate, {
    ci: pairedRatio(
      of('large', 'throughput c=10').map(b => b.signInsPerSecond),
      of('small', 'throughput c=10').map(b => b.signInsPerSecond),
    ),
  });
  add(
    'backend CPU per sign-in at 10 concurrent',
    'ms',
    s => {
      const mine = of(s, 'throughput c=10');
      return (
        sum(mine.map(b => b.backendCpuMs)) / sum(mine.map(b => b.succeeded))
      );
    },
    { decimals: 2 },
  );
  add(
    'sign-ins measured',
    '',
    s => sum(blocks.filter(b => b.size === s).map(b => b.attempted)),
    { decimals: 0 },
  );
  add(
    'errors',
    '',
    s => sum(blocks.filter(b => b.size === s).map(b => b.errors)),
    { decimals: 0 },
  );

  // Where the time goes, p50 at concurrency 1
  const p50 = (values: number[]) => percentile(values, 50);
  add('Bitbucket calls (replayed, p50)', 'ms', () => p50(bitbucketMs), {
    decimals: 2,
  });
  const lookupP50 = (size: Size, resolver: string) =>
    p50(lookupMs[size][resolver].flat());
  for (const [i, resolver] of RESOLVERS.entries()) {
    add(
      `catalog ${i + 1}: ${resolver} (p50)`,
      'ms',
      s => lookupP50(s, resolver),
      {
        decimals: 2,
        ci: pairedRatio(
          lookupMs.large[resolver].map(p50),
          lookupMs.small[resolver].map(p50),
        ),
      },
    );
  }
  const lookupsSum = (size: Size) =>
    sum(RESOLVERS.map(r => lookupP50(size, r)));
  add('catalog lookups, sum of the four', 'ms', lookupsSum, { decimals: 2 });
  if (input.statementsLoaded) {
    for (const [i, resolver] of RESOLVERS.entries()) {
      const mean = (s: Size, part: 'planMs' | 'execMs') =>
        sum(lookupDbMs[s][resolver].map(m => m[part])) /
        lookupDbMs[s][resolver].length;
      add(
        `  PostgreSQL in lookup ${i + 1}: planning`,
        'ms',
        s => mean(s, 'planMs'),
        { decimals: 3 },
      );
      add(
        `  PostgreSQL in lookup ${i + 1}: execution`,
        'ms',
        s => mean(s, 'execMs'),
        { decimals: 3 },
      );
    }
  }
  add(
    'rest: token, user info, HTTP, framework',
    'ms',
    s => percentile(latencySamples(s), 50) - p50(bitbucketMs) - lookupsSum(s),
    { decimals: 2 },
  );

  // The statements of the latency phase, per sign-in
  const statements = {} as Record<
    Size,
    Array<
      StatementStat & {
        perSignIn: number;
        msPerSignIn: number;
        planMsPerSignIn: number;
      }
    >
  >;
  for (const size of sizes) {
    const signIns = sum(of(size, 'latency c=1').map(b => b.attempted));
    statements[size] = latencyStatements[size].slice(0, 8).map(s => ({
      ...s,
      perSignIn: s.calls / signIns,
      msPerSignIn: s.totalMs / signIns,
      planMsPerSignIn: s.planMs / signIns,
    }));
  }
  const dbPerSignIn = (size: Size) => {
    const signIns = sum(of(size, 'latency c=1').map(b => b.attempted));
    return sum(latencyStatements[size].map(s => s.totalMs)) / signIns;
  };
  if (input.statementsLoaded) {
    add(
      'PostgreSQL time per sign-in, all statements (c=1)',
      'ms',
      dbPerSignIn,
      { decimals: 3 },
    );
  }
  if (input.statementsLoaded) {
    add(
      'catalog lookup statements per sign-in (c=1)',
      '',
      s => input.lookupsPerSignIn[s],
      { decimals: 2 },
    );
  }
  const notes = sizes.map(size => {
    const mine = blocks.filter(b => b.size === size);
    const ms = sum(mine.map(b => b.elapsedMs));
    const busy = sum(mine.map(b => b.machineBusyCores * b.elapsedMs)) / ms;
    const backendCores = sum(mine.map(b => b.backendCpuMs)) / ms;
    return `${label[size]} blocks: machine busy ${busy.toFixed(2)} of ${
      os.cpus().length
    } cores on average, the backend under test ${backendCores.toFixed(2)}`;
  });
  return { rows, statements, plans: input.plans, notes };
}

function printCatalogReport(report: ReturnType<typeof buildCatalogReport>) {
  const out = [
    '',
    'Sign-in through four resolvers (only the last matches), our module, PostgreSQL',
    '',
    ...comparisonTable(
      ['10 users', '10,000 users', '10k/10', '95% CI'],
      report.rows.map(row => ({ ...row, values: [row.small, row.large] })),
      12,
    ),
  ];
  out.push('', ...report.notes.map(note => `  ${note}`));
  for (const size of sizes) {
    out.push(
      '',
      `Top statements in the ${label[size]} backend's databases, c=1 phase, per sign-in (pg_stat_statements):`,
    );
    for (const s of report.statements[size]) {
      out.push(
        `  ${s.perSignIn.toFixed(2).padStart(5)} calls ${s.msPerSignIn
          .toFixed(3)
          .padStart(6)} ms (plan ${s.planMsPerSignIn
          .toFixed(3)
          .padStart(5)})  ${s.database.padEnd(19)} ${s.query.slice(0, 90)}`,
      );
    }
  }
  for (const size of sizes) {
    const plans = report.plans[size] ?? [];
    if (plans.length === 0) continue;
    out.push(
      '',
      `Plans of one sign-in's lookups, ${label[size]} (auto_explain, ANALYZE):`,
    );
    for (const p of plans) {
      out.push(
        `  ${p.durationMs.toFixed(3).padStart(7)} ms  ${p.resolver.padEnd(
          38,
        )} ${p.scans.join('; ')}`,
      );
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

runMain({
  main,
  running,
  shutdown,
  log,
  stopping: 'the backends, the simulator and PostgreSQL',
});
