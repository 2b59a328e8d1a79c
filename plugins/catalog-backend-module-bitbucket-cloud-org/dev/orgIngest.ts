/*
 * How long one provider run takes for a large workspace, and what it costs in
 * memory: `yarn bench:org [members]` in this package (default 5,000).
 *
 * The simulator, with a generated workspace, runs in a child process so its
 * memory is not counted. This process is a real backend (startTestBackend:
 * the catalog plugin on in-memory SQLite, and this module), whose provider
 * run is triggered by hand and timed: every page of both lists read, entities
 * built, one full mutation applied. Then it waits until the catalog API
 * serves them all, runs again (nothing changed), and checks that it measured
 * what it says: the pages the simulator served, and the entity counts.
 * Exits 1 when a check fails or the run takes over a minute.
 */
import {
  coreServices,
  createBackendModule,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import {
  demoConsumer,
  generateWorkspace,
  startBitbucketSimulator,
} from '@bitbucket-signin/bitbucket-cloud-simulator';
import { ChildProcess, fork } from 'node:child_process';
import { AddressInfo } from 'node:net';
import catalogModuleBitbucketCloudOrg from '../src';

const WORKSPACE = 'big';
const TASK_ID = 'bitbucket-cloud-org-provider:big:refresh';
const consumer = {
  ...demoConsumer,
  key: 'bench-org-client',
  secret: 'bench-org-secret',
  workspace: WORKSPACE,
};

/** Child mode: the simulator, until the parent goes away */
async function serveSimulator(members: number) {
  const simulator = await startBitbucketSimulator({
    users: generateWorkspace({ slug: WORKSPACE, members }),
    consumers: [consumer],
  });
  process.send!({ url: simulator.url });
  process.on('disconnect', () => {
    simulator.stop().then(() => process.exit(0));
  });
}

function startSimulatorProcess(
  members: number,
): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(__filename, ['simulator', String(members)]);
  return new Promise((resolve, reject) => {
    // the TypeScript loader sends messages of its own
    child.on('message', (message: { url?: string }) => {
      if (message?.url) resolve({ child, url: message.url });
    });
    child.once('exit', code =>
      reject(new Error(`simulator exited with ${code}`)),
    );
  });
}

function memory() {
  global.gc!();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function main(members: number) {
  if (!global.gc) {
    throw new Error('run with node --expose-gc (yarn bench:org does)');
  }
  const { child, url } = await startSimulatorProcess(members);
  let scheduler: SchedulerService | undefined;
  const schedulerAccess = createBackendModule({
    pluginId: 'catalog',
    moduleId: 'bench-scheduler-access',
    register(reg) {
      reg.registerInit({
        deps: { catalogScheduler: coreServices.scheduler },
        async init({ catalogScheduler }) {
          scheduler = catalogScheduler;
        },
      });
    },
  });
  const backend = await startTestBackend({
    features: [
      catalogPlugin,
      catalogModuleBitbucketCloudOrg,
      schedulerAccess,
      mockServices.scheduler.factory({ skipTaskRunOnStartup: true }),
      mockServices.rootLogger.factory({ level: 'warn' }),
      mockServices.rootConfig.factory({
        data: {
          catalog: {
            providers: {
              bitbucketCloudOrg: {
                [WORKSPACE]: {
                  workspace: WORKSPACE,
                  clientId: consumer.key,
                  clientSecret: consumer.secret,
                  tokenUrl: `${url}/site/oauth2/access_token`,
                  apiBaseUrl: `${url}/2.0`,
                },
              },
            },
          },
        },
      }),
    ],
  });
  const backendUrl = `http://127.0.0.1:${
    (backend.server.address() as AddressInfo).port
  }`;
  const failures: string[] = [];
  const check = (ok: boolean, what: string) => {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failures.push(what);
  };

  try {
    const kinds = async () => {
      const res = await fetch(
        `${backendUrl}/api/catalog/entity-facets?facet=kind`,
      );
      const body = (await res.json()) as {
        facets: { kind: Array<{ value: string; count: number }> };
      };
      return Object.fromEntries(
        body.facets.kind.map(f => [f.value.toLowerCase(), f.count]),
      );
    };

    const before = memory();
    const started = performance.now();
    await scheduler!.triggerTask(TASK_ID);
    const runMs = performance.now() - started;
    const afterRun = memory();

    console.log(`provider run done in ${(runMs / 1000).toFixed(2)} s`);
    let catalogMs = 0;
    for (let polls = 1; ; polls++) {
      const counts = await kinds();
      if (polls % 20 === 0) {
        console.log(`catalog so far: ${JSON.stringify(counts)}`);
      }
      if (counts.user === members && counts.group === 2) {
        catalogMs = performance.now() - started;
        break;
      }
      if (performance.now() - started > 10 * 60_000) {
        check(false, `catalog serves ${members} Users (has ${counts.user})`);
        break;
      }
      await new Promise(resolve => setTimeout(resolve, 250));
    }
    const afterCatalog = memory();

    const secondStarted = performance.now();
    await scheduler!.triggerTask(TASK_ID);
    const secondRunMs = performance.now() - secondStarted;
    const afterSecond = memory();

    const requests = (await (
      await fetch(`${url}/_simulator/requests`)
    ).json()) as Record<string, number>;
    const pages = Math.ceil(members / 100);
    const counts = await kinds();

    console.log(`
workspace of ${members} members, pages of 100, simulator in another process
provider run (read ${pages} + ${pages} pages, build, apply):  ${(
      runMs / 1000
    ).toFixed(2)} s
until the catalog API serves every entity:               ${(
      catalogMs / 1000
    ).toFixed(2)} s
second run (nothing changed):                            ${(
      secondRunMs / 1000
    ).toFixed(2)} s
memory after GC            RSS        V8 heap used
  before the run           ${mb(before.rss).padEnd(10)} ${mb(before.heapUsed)}
  after the run            ${mb(afterRun.rss).padEnd(10)} ${mb(
      afterRun.heapUsed,
    )}
  after catalog processing ${mb(afterCatalog.rss).padEnd(10)} ${mb(
      afterCatalog.heapUsed,
    )}
  after the second run     ${mb(afterSecond.rss).padEnd(10)} ${mb(
      afterSecond.heapUsed,
    )}
peak RSS of this process:  ${mb(process.resourceUsage().maxRSS * 1024)}
`);
    check(
      requests[`/2.0/workspaces/${WORKSPACE}/members`] === pages * 2,
      `the simulator served ${pages} member pages per run (${
        requests[`/2.0/workspaces/${WORKSPACE}/members`]
      } in 2 runs)`,
    );
    check(
      requests[`/2.0/workspaces/${WORKSPACE}/permissions`] === pages * 2,
      `the simulator served ${pages} permission pages per run`,
    );
    check(
      requests['/site/oauth2/access_token'] === 1,
      'one token for both runs',
    );
    check(
      counts.user === members && counts.group === 2,
      `the catalog holds ${members} Users and 2 Groups (${counts.user}, ${counts.group})`,
    );
    check(runMs < 60_000, 'one run within a minute');
  } finally {
    await backend.stop();
    child.disconnect();
  }
  if (failures.length > 0) {
    process.exitCode = 1;
  }
}

const [mode, count] = process.argv.slice(2);
if (mode === 'simulator') {
  serveSimulator(Number(count));
} else {
  main(Number(mode ?? 5000))
    .catch(error => {
      console.error(error);
      process.exitCode = 1;
    })
    // the test backend leaves timers behind; this is a script, so end here
    .finally(() => process.exit());
}
