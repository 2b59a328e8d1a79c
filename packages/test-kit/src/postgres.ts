import {
  ChildProcess,
  execFileSync,
  ExecFileSyncOptions,
  spawn,
} from 'node:child_process';
import crypto from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './freePort';

/**
 * A throwaway PostgreSQL server for one test file (the replicas test): Debian's
 * `postgresql` binaries, a fresh data directory in the temp dir, 127.0.0.1 on
 * a free port, fsync off. No Docker, and the Debian cluster is never touched.
 */
export interface TestPostgres {
  host: string;
  port: number;
  /** A login role with CREATEDB, for the backends (Backstage creates one database per plugin) */
  user: string;
  password: string;
  /** Runs SQL as the superuser over the unix socket; returns psql's unaligned output */
  psql(sql: string, database?: string): string;
  /** What the server wrote to stdout/stderr (the tail) */
  output(): string;
  /** Fast shutdown, then SIGKILL to its process group; removes the data directory. Idempotent. */
  stop(): Promise<void>;
}

const MISSING_BINARIES =
  'PostgreSQL server binaries (initdb, postgres, psql, pg_isready) were not found in ' +
  '/usr/lib/postgresql/<version>/bin or $POSTGRES_BIN_DIR. The replicas test ' +
  "starts its own server: install Debian's package with " +
  '`apt-get install -y postgresql` (the test does not use the cluster it creates).';

/** The newest /usr/lib/postgresql/<version>/bin that has the binaries used here */
export function findPostgresBinDir(): string {
  const candidates: string[] = [];
  if (process.env.POSTGRES_BIN_DIR) {
    candidates.push(process.env.POSTGRES_BIN_DIR);
  }
  const root = '/usr/lib/postgresql';
  if (fs.existsSync(root)) {
    candidates.push(
      ...fs
        .readdirSync(root)
        .filter(v => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
        .map(v => path.join(root, v, 'bin')),
    );
  }
  const found = candidates.find(dir =>
    ['initdb', 'postgres', 'psql', 'pg_isready'].every(bin =>
      fs.existsSync(path.join(dir, bin)),
    ),
  );
  if (!found) {
    throw new Error(MISSING_BINARIES);
  }
  return found;
}

/** PostgreSQL refuses to run as root: when we are root, run it as the `postgres` OS user */
function serverIdentity(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) {
    return {};
  }
  let passwd: string;
  try {
    passwd = execFileSync('getent', ['passwd', 'postgres'], {
      encoding: 'utf8',
    });
  } catch {
    throw new Error(
      `Running as root, but there is no \`postgres\` OS user to run the server as. ${MISSING_BINARIES}`,
    );
  }
  const [, , uid, gid] = passwd.trim().split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

// unref: a timer that lost a race must not keep the Jest worker alive
const sleep = (ms: number) =>
  new Promise(resolve => setTimeout(resolve, ms).unref());

function appendBounded(current: string, chunk: unknown, max = 100_000) {
  const next = current + String(chunk);
  return next.length > max ? next.slice(-max) : next;
}

/** Options of {@link startTestPostgres}; every one is optional */
export interface TestPostgresOptions {
  /**
   * Extra server settings, each passed as `-c name=value` after the defaults
   * (e.g. `shared_preload_libraries: 'pg_stat_statements'`); a setting given
   * twice takes the later value.
   */
  settings?: Record<string, string>;
}

export async function startTestPostgres(
  config: TestPostgresOptions = {},
): Promise<TestPostgres> {
  const binDir = findPostgresBinDir();
  const identity = serverIdentity();
  const baseDir = fs.mkdtempSync(
    path.join(os.tmpdir(), 'backstage-replicas-pg-'),
  );
  let server: ChildProcess | undefined;
  let output = '';
  let stopped = false;

  const run = (
    bin: string,
    args: string[],
    options: ExecFileSyncOptions = {},
  ) =>
    execFileSync(path.join(binDir, bin), args, {
      ...identity,
      cwd: baseDir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
      ...options,
    }) as unknown as string;

  const killOnExit = () => {
    if (server?.pid && server.exitCode === null) {
      try {
        process.kill(-server.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killOnExit);
    const proc = server;
    if (proc?.pid && proc.exitCode === null && proc.signalCode === null) {
      const exited = once(proc, 'exit');
      try {
        proc.kill('SIGINT'); // "fast" shutdown: disconnects clients, no waiting
      } catch {
        // already gone
      }
      const clean = await Promise.race([
        exited.then(() => true),
        sleep(15_000).then(() => false),
      ]);
      if (!clean) {
        try {
          process.kill(-proc.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        await Promise.race([exited, sleep(5_000)]);
      }
    }
    fs.rmSync(baseDir, { recursive: true, force: true });
  };
  // If jest exits without afterAll (e.g. a crash), do not leave the server behind
  process.on('exit', killOnExit);

  try {
    if (identity.uid !== undefined) {
      fs.chownSync(baseDir, identity.uid, identity.gid!);
    }
    fs.chmodSync(baseDir, 0o700);
    const dataDir = path.join(baseDir, 'data');
    const pwFile = path.join(baseDir, 'superuser-password');
    fs.writeFileSync(pwFile, crypto.randomBytes(18).toString('hex'), {
      mode: 0o600,
    });
    if (identity.uid !== undefined) {
      fs.chownSync(pwFile, identity.uid, identity.gid!);
    }
    try {
      run('initdb', [
        '--pgdata',
        dataDir,
        '--username',
        'postgres',
        '--pwfile',
        pwFile,
        '--auth-local',
        'trust',
        '--auth-host',
        'scram-sha-256',
        '--encoding',
        'UTF8',
        '--locale',
        'C',
        '--no-sync',
      ]);
    } catch (error: any) {
      throw new Error(
        `initdb failed: ${error.message}\n${error.stdout ?? ''}${
          error.stderr ?? ''
        }`,
      );
    }

    const keepOutput = (chunk: unknown) => {
      output = appendBounded(output, chunk);
    };
    // A port taken between freePort() and the server's bind is retried
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      output = '';
      const proc = spawn(
        path.join(binDir, 'postgres'),
        [
          '-D',
          dataDir,
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          `port=${port}`,
          '-c',
          `unix_socket_directories=${baseDir}`,
          '-c',
          'fsync=off',
          '-c',
          'synchronous_commit=off',
          '-c',
          'full_page_writes=off',
          // two replicas x (catalog, auth, permission, app, scheduler, keys) x their pools
          '-c',
          'max_connections=300',
          ...Object.entries(config.settings ?? {}).flatMap(([name, value]) => [
            '-c',
            `${name}=${value}`,
          ]),
        ],
        {
          ...identity,
          cwd: baseDir,
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      server = proc;
      proc.stdout!.on('data', keepOutput);
      proc.stderr!.on('data', keepOutput);

      const deadline = Date.now() + 30_000;
      let ready = false;
      while (!ready && proc.exitCode === null && Date.now() < deadline) {
        try {
          run('pg_isready', ['-h', baseDir, '-p', String(port), '-q'], {
            timeout: 5_000,
          });
          ready = true;
        } catch {
          await sleep(100);
        }
      }
      if (ready) break;
      if (proc.exitCode === null) {
        throw new Error(
          `PostgreSQL did not accept connections within 30 s:\n${output}`,
        );
      }
      if (attempt >= 3 || !/could not bind|already in use/i.test(output)) {
        throw new Error(`PostgreSQL exited with ${proc.exitCode}:\n${output}`);
      }
    }

    const psql = (sql: string, database = 'postgres') => {
      try {
        return run('psql', [
          '-h',
          baseDir,
          '-p',
          String(port),
          '-U',
          'postgres',
          '-d',
          database,
          '-v',
          'ON_ERROR_STOP=1',
          '-X',
          '-q',
          '-t',
          '-A',
          '-c',
          sql,
        ]).trim();
      } catch (error: any) {
        throw new Error(`psql failed: ${error.stderr ?? error.message}`);
      }
    };

    const user = 'backstage';
    const password = crypto.randomBytes(18).toString('hex');
    psql(`CREATE ROLE ${user} LOGIN CREATEDB PASSWORD '${password}'`);

    return {
      host: '127.0.0.1',
      port,
      user,
      password,
      psql,
      output: () => output,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
