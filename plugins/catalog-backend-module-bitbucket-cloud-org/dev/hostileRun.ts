/*
 * What a hostile members list costs one provider run with the DEFAULT limits:
 * `yarn hostile:org` in this package.
 *
 * A child process serves, on 127.0.0.1, a members list of 1,000 pages, each
 * 100 members with display names of about 10 KB: every page just under the
 * 1 MiB cap on one answer, about 1 GB in all. This process runs the provider
 * against it, configured as an admin would (an API token and the workspace,
 * no limits), and prints its RSS before the run, at the run's peak (sampled
 * every 10 ms, and the kernel's high-water mark) and after GC. Exits 1 when
 * the run applied anything or did not name the limit it stopped at.
 */
import { LoggerService, SchedulerService } from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import { ChildProcess, fork } from 'node:child_process';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { BitbucketCloudOrgEntityProvider } from '../src';

const PAGES = 1000;
const PER_PAGE = 100;
const MEMBERS = '/2.0/workspaces/acme/members';

/** Child mode: the hostile list, until the parent goes away */
function serveHostileList() {
  let base = '';
  const padding = 'x'.repeat(10_300);
  const page = (n: number) =>
    JSON.stringify({
      values: Array.from({ length: PER_PAGE }, (_, i) => {
        const hex = (n * PER_PAGE + i).toString(16).padStart(12, '0');
        return {
          user: {
            uuid: `{00000000-0000-4000-a000-${hex}}`,
            display_name: `Member ${hex} ${padding}`,
          },
        };
      }),
      next: n < PAGES ? `${base}${MEMBERS}?pagelen=100&page=${n + 1}` : null,
    });
  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, base);
    res.setHeader('content-type', 'application/json');
    res.end(
      url.pathname === MEMBERS
        ? page(Number(url.searchParams.get('page') ?? 1))
        : JSON.stringify({ values: [] }),
    );
  });
  server.listen(0, '127.0.0.1', () => {
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    process.send!({ url: base, pageBytes: Buffer.byteLength(page(1)) });
  });
  process.on('disconnect', () => server.close(() => process.exit(0)));
}

function startServer(): Promise<{
  child: ChildProcess;
  url: string;
  pageBytes: number;
}> {
  const child = fork(__filename, ['serve']);
  return new Promise((resolve, reject) => {
    // the TypeScript loader sends messages of its own
    child.on('message', (message: { url?: string; pageBytes: number }) => {
      if (message?.url) {
        resolve({ child, url: message.url, pageBytes: message.pageBytes });
      }
    });
    child.once('exit', code => reject(new Error(`server exited ${code}`)));
  });
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** RSS and V8 heap after GC: what the process holds, and what it still uses */
async function afterGc() {
  for (let i = 0; i < 3; i++) {
    global.gc!();
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

async function main() {
  if (!global.gc) {
    throw new Error('run with node --expose-gc (yarn hostile:org does)');
  }
  const { child, url, pageBytes } = await startServer();
  const logged: string[] = [];
  const logger: LoggerService = {
    error: message => logged.push(`error ${message}`),
    warn: message => logged.push(`warn ${message}`),
    info: message => logged.push(`info ${message}`),
    debug: () => {},
    child: () => logger,
  };
  const [provider] = BitbucketCloudOrgEntityProvider.fromConfig(
    new ConfigReader({
      catalog: {
        providers: {
          bitbucketCloudOrg: {
            acme: {
              workspace: 'acme',
              apiToken: { email: 'svc@example.com', token: 'api-token' },
              apiBaseUrl: `${url}/2.0`,
            },
          },
        },
      },
    }),
    // the run is started by hand below, not by a schedule
    {
      logger,
      scheduler: {
        scheduleTask: async () => {},
      } as unknown as SchedulerService,
    },
  );
  let applied = 0;
  await provider.connect({
    applyMutation: async () => {
      applied += 1;
    },
    refresh: async () => {},
  });

  /** One run by hand: its time, and the RSS peak sampled every 10 ms */
  async function measuredRun() {
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 10);
    const started = performance.now();
    await provider.refresh(new AbortController().signal);
    clearInterval(sampler);
    const seconds = (performance.now() - started) / 1000;
    return { seconds, peak: Math.max(peak, process.memoryUsage().rss) };
  }

  try {
    const before = await afterGc();
    const first = await measuredRun();
    const after = await afterGc();
    // a second run shows whether what the first one left grows
    const second = await measuredRun();
    const afterSecond = await afterGc();
    const highWater = process.resourceUsage().maxRSS * 1024;
    const heap = (m: { heapUsed: number }) => `V8 heap used ${mb(m.heapUsed)}`;

    console.log(`
hostile members list: ${PAGES} pages of ${PER_PAGE} members, ${(
      pageBytes / 1024
    ).toFixed(0)} KiB a page (${mb(PAGES * pageBytes)} in all), default limits
runs: ${first.seconds.toFixed(1)} s and ${second.seconds.toFixed(
      1,
    )} s, ${applied} mutations applied
log of the first: ${logged[0]}

RSS before the run (after GC): ${mb(before.rss)} (${heap(before)})
RSS at the run's peak:         ${mb(first.peak)} (sampled every 10 ms)
RSS after the run (after GC):  ${mb(after.rss)} (${heap(after)})
a second run: peak ${mb(second.peak)}, after GC ${mb(afterSecond.rss)} (${heap(
      afterSecond,
    )}); kernel high-water mark ${mb(highWater)}
`);
    const stoppedAtLimit = logged.some(line =>
      /The run stopped at catalog\.providers\.bitbucketCloudOrg\.acme\.limits\.(maxBytes|maxMembers)/.test(
        line,
      ),
    );
    if (applied !== 0 || !stoppedAtLimit) {
      console.error('FAIL: the run applied entities or named no limit');
      process.exitCode = 1;
    }
  } finally {
    child.disconnect();
  }
}

if (process.argv[2] === 'serve') {
  serveHostileList();
} else {
  main()
    .catch(error => {
      console.error(error);
      process.exitCode = 1;
    })
    .finally(() => process.exit());
}
