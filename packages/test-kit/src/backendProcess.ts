import { ChildProcess, spawn } from 'node:child_process';

/** One real backend process (its `src/index.ts`, from source), in its own process group */
export interface BackendProcess {
  name: string;
  /** Where it listens, e.g. `http://127.0.0.1:41234` */
  url: string;
  /** Its process id, also its process group's */
  pid: number;
  /** What it logged so far (the tail) */
  output(): string;
  running(): boolean;
  /** SIGKILL to the whole process group, as when a replica's node dies; resolves on exit */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL to the group after 10 s. Idempotent. */
  stop(): Promise<void>;
}

// unref: a timer that lost the race must not keep the Jest worker alive
const sleep = (ms: number) =>
  new Promise(resolve => setTimeout(resolve, ms).unref());

export function startBackendProcess(options: {
  name: string;
  /** The backend package's folder, e.g. `packages/backend` */
  backendDir: string;
  port: number;
  configFiles: string[];
  env: Record<string, string>;
  /** The file it runs, relative to `backendDir`; default `src/index.ts` */
  entry?: string;
  /** Options for node itself, e.g. `--expose-gc` */
  nodeArgs?: string[];
}): BackendProcess {
  const { name, backendDir, port, configFiles, env } = options;
  let output = '';
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      '--require',
      require.resolve('@backstage/cli/config/nodeTransform.cjs'),
      options.entry ?? 'src/index.ts',
      ...configFiles.flatMap(file => ['--config', file]),
    ],
    {
      cwd: backendDir,
      env: { ...process.env, ...env },
      detached: true, // its own process group, so kill(-pid) takes everything it started
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const append = (chunk: unknown) => {
    output += String(chunk);
    if (output.length > 400_000) output = output.slice(-400_000);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<void>(resolve =>
    child.once('exit', () => resolve()),
  );
  const running = () => child.exitCode === null && child.signalCode === null;

  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  // If jest exits without afterAll, do not leave the backend behind
  const killOnExit = () => killGroup('SIGKILL');
  process.on('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));

  return {
    name,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    output: () => output,
    running,
    async kill() {
      if (running()) killGroup('SIGKILL');
      await Promise.race([exited, sleep(10_000)]);
    },
    async stop() {
      if (running()) {
        killGroup('SIGTERM');
        const clean = await Promise.race([
          exited.then(() => true),
          sleep(10_000).then(() => false),
        ]);
        if (!clean) killGroup('SIGKILL');
      }
      // anything else left in the group (there should be nothing)
      killGroup('SIGKILL');
      await Promise.race([exited, sleep(5_000)]);
      process.removeListener('exit', killOnExit);
    },
  };
}
