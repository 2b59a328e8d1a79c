/**
 * Starting, observing and stopping the two backend processes, and the
 * simulator they sign in against.
 */
import { startBitbucketSimulator } from '@bitbucket-signin/bitbucket-cloud-simulator';
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { GC_MARKER } from './protocol';

export const benchDir = path.dirname(require.resolve('../package.json'));

export type BackendName = 'ours' | 'public';

export interface BackendProcess {
  /** 'ours' or 'public' in `yarn bench`; a catalog size label in `bench:catalog` */
  name: string;
  url: string;
  pid: number;
  child: ChildProcess;
  /** The last lines the process wrote, for error reports */
  output(): string;
  /** Full GC in the backend (SIGUSR2 handler in backendMain.ts), then its memory as it reports it */
  gc(): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/**
 * `count` distinct free loopback ports: every probe socket stays open until
 * all are taken, so two backends are never handed the same port.
 */
export async function freePorts(count: number): Promise<number[]> {
  const probes: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const probe = net.createServer();
      probes.push(probe);
      await new Promise<void>((resolve, reject) => {
        probe.once('error', reject);
        probe.listen(0, '127.0.0.1', resolve);
      });
    }
    return probes.map(probe => (probe.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(
      probes.map(probe => new Promise(resolve => probe.close(resolve))),
    );
  }
}

/**
 * Fails unless process `pid` itself holds the listening socket on
 * 127.0.0.1:`port`: then every request sent to that port was served by the
 * process whose CPU and memory the bench reads.
 */
export function assertListensOn(pid: number, port: number, name: string) {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const listening = fs
    .readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map(line => line.trim().split(/\s+/))
    // local address 127.0.0.1 is 0100007F; state 0A is LISTEN; field 9 the socket inode
    .filter(f => f[1] === `0100007F:${hexPort}` && f[3] === '0A')
    .map(f => f[9]);
  const ownSockets = new Set(
    fs
      .readdirSync(`/proc/${pid}/fd`)
      .map(fd => {
        try {
          return fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          return ''; // closed meanwhile
        }
      })
      .filter(target => target.startsWith('socket:[')),
  );
  if (!listening.some(inode => ownSockets.has(`socket:[${inode}]`))) {
    throw new Error(
      `the ${name} backend (pid ${pid}) does not hold the listening socket on 127.0.0.1:${port}; another process serves that port, so nothing measured there would be the ${name} backend's`,
    );
  }
}

/** The OAuth consumer secret of every bench backend */
export const CLIENT_SECRET = 'bench-client-secret';

/** The simulator's OAuth consumer `key` for the backend on `port` */
export function benchConsumer(key: string, port: number) {
  return {
    key,
    secret: CLIENT_SECRET,
    callbackUrl: `http://127.0.0.1:${port}/api/auth/bitbucket/handler/frame`,
  };
}

/** The simulator, in this process, with these consumers (scopes account and email) */
export function startBenchSimulator(
  consumers: Array<ReturnType<typeof benchConsumer>>,
) {
  return startBitbucketSimulator({
    consumers: consumers.map(consumer => ({
      ...consumer,
      scopes: ['account', 'email'],
    })),
  });
}

/** The config both backends get; only the port and the OAuth consumer key differ */
export function backendConfig(options: {
  port: number;
  clientId: string;
  clientSecret: string;
  simulatorUrl: string;
}) {
  const { port, clientId, clientSecret, simulatorUrl } = options;
  return {
    app: { baseUrl: 'http://localhost:3000' },
    backend: {
      baseUrl: `http://127.0.0.1:${port}`,
      listen: { port, host: '127.0.0.1' },
      database: { client: 'better-sqlite3', connection: ':memory:' },
    },
    auth: {
      environment: 'development',
      providers: {
        bitbucket: {
          development: {
            clientId,
            clientSecret,
            // read by our module; the public one has no such settings and
            // reaches the simulator through the hook in backendMain.ts
            authorizationUrl: `${simulatorUrl}/site/oauth2/authorize`,
            tokenUrl: `${simulatorUrl}/site/oauth2/access_token`,
            apiBaseUrl: `${simulatorUrl}/2.0`,
            signIn: {
              resolvers: [{ resolver: 'userIdMatchingUserEntityAnnotation' }],
            },
          },
        },
      },
    },
    catalog: {
      // bench/catalog.yaml is read once at startup; no re-processing during the run
      processingInterval: { minutes: 30 },
      rules: [{ allow: ['User', 'Group'] }],
      locations: [
        { type: 'file', target: path.join(benchDir, 'catalog.yaml') },
      ],
    },
  };
}

export async function startBackend(options: {
  name: string;
  entry: string;
  port: number;
  configFile: string;
  simulatorUrl: string;
  cpuProfileDir?: string;
}): Promise<BackendProcess> {
  const { name, entry, port, configFile, simulatorUrl, cpuProfileDir } =
    options;
  const nodeArgs = [
    '--expose-gc',
    ...(cpuProfileDir
      ? [
          '--cpu-prof',
          // one file per thread (the TypeScript loader hooks run in a worker):
          // CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile, main thread id 0
          '--cpu-prof-dir',
          path.join(cpuProfileDir, name),
        ]
      : []),
    '--require',
    require.resolve('@backstage/cli/config/nodeTransform.cjs'),
    entry,
    '--config',
    configFile,
  ];
  const child = spawn(process.execPath, nodeArgs, {
    cwd: benchDir,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      BENCH_SIMULATOR_URL: simulatorUrl,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // its own process group, so stopping it takes anything it started along
    detached: true,
  });
  if (!child.pid) {
    throw new Error(`could not start the ${name} backend`);
  }
  const pid = child.pid;
  const tail: string[] = [];
  /** gc() calls waiting for the backend's report, oldest first, each with its timeout */
  const gcWaiters: Array<{
    resolve: (info: Record<string, unknown>) => void;
    timer: NodeJS.Timeout;
  }> = [];
  let pending = '';
  const onOutput = (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    for (
      let newline = pending.indexOf('\n');
      newline >= 0;
      newline = pending.indexOf('\n')
    ) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line.startsWith(GC_MARKER)) {
        const waiter = gcWaiters.shift();
        if (waiter) {
          clearTimeout(waiter.timer);
          waiter.resolve(JSON.parse(line.slice(GC_MARKER.length)));
        }
        continue;
      }
      tail.push(line);
      if (tail.length > 200) {
        tail.shift();
      }
    }
  };
  child.stdout!.on('data', onOutput);
  child.stderr!.on('data', onOutput);
  const exited = new Promise<void>(resolve =>
    child.once('exit', () => resolve()),
  );

  let stopping: Promise<void> | undefined;
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    pid,
    child,
    output: () => tail.join('\n'),
    gc() {
      return new Promise((resolve, reject) => {
        const waiter = {
          resolve,
          timer: setTimeout(() => {
            const index = gcWaiters.indexOf(waiter);
            if (index >= 0) gcWaiters.splice(index, 1);
            reject(new Error(`${name} backend did not confirm GC within 10 s`));
          }, 10_000),
        };
        gcWaiters.push(waiter);
        process.kill(pid, 'SIGUSR2');
      });
    },
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          return;
        }
        // SIGTERM lets the backend shut down (and write a --cpu-prof profile)
        killGroup(pid, 'SIGTERM');
        const timeout = new Promise<'timeout'>(resolve =>
          setTimeout(() => resolve('timeout'), 10_000).unref(),
        );
        if ((await Promise.race([exited, timeout])) === 'timeout') {
          killGroup(pid, 'SIGKILL');
          await exited;
        }
      })();
      return stopping;
    },
  };
}

/**
 * What both runs do around their `main`: whatever happens, no backend in
 * `running` outlives this process (SIGKILL to its group at exit); SIGINT,
 * SIGTERM or SIGHUP log, run `shutdown` and exit 130 (a second signal exits
 * at once); a failed `main` is logged, shut down and exits 1; a finished one
 * exits 0.
 */
export function runMain(options: {
  main: () => Promise<void>;
  running: BackendProcess[];
  shutdown: () => Promise<void>;
  log: (message: string) => void;
  /** What a signal stops, for the log: `the backends and the simulator` */
  stopping: string;
}) {
  const { main, running, shutdown, log, stopping } = options;
  process.on('exit', () => {
    for (const backend of running) {
      if (
        backend.child.exitCode === null &&
        backend.child.signalCode === null
      ) {
        killGroup(backend.pid, 'SIGKILL');
      }
    }
  });
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) {
      process.exit(130);
    }
    interrupted = true;
    log(`${signal}: stopping ${stopping}`);
    shutdown().finally(() => process.exit(130));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, onSignal);
  }
  main().then(
    () => process.exit(0),
    async error => {
      if (interrupted) {
        return; // the signal handler is stopping everything and exits
      }
      log(`failed: ${error?.stack ?? error}`);
      await shutdown().catch(() => {});
      process.exit(1);
    },
  );
}

/** Signals a process group; ignores groups that are already gone */
export function killGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** /proc/<pid>/status: VmRSS, VmHWM (peak) and the anonymous / file-backed parts of the RSS, in bytes */
export function readRss(pid: number): {
  rss: number;
  peakRss: number;
  rssAnon: number;
  rssFile: number;
} {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    return match ? Number(match[1]) * 1024 : NaN;
  };
  return {
    rss: kb('VmRSS'),
    peakRss: kb('VmHWM'),
    rssAnon: kb('RssAnon'),
    rssFile: kb('RssFile'),
  };
}

const clockTicksPerSecond = 100; // USER_HZ on Linux

/** CPU time (user + system, all threads) the process has used, in ms, from /proc/<pid>/stat */
export function readCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // the command name is in parentheses and may contain spaces: split after it
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / clockTicksPerSecond;
}
