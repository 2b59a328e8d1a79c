/**
 * The simulator, in this process, and the two backends it serves, each on
 * its own port: started, ready, stopped. A backend is the test kit's backend
 * process running backendMain.ts with one Bitbucket module and --expose-gc.
 * None outlives the bench: the test kit kills them at exit, and a signal
 * stops them first.
 */
import {
  BitbucketSimulator,
  startBitbucketSimulator,
} from '@bitbucket-signin/bitbucket-cloud-simulator';
import {
  BackendProcess as KitBackendProcess,
  freePort,
  startBackendProcess,
} from '@bitbucket-signin/test-kit';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { elapsedMs, log } from './clock';
import { signIn } from './driver';
import { GC_MARKER } from './gcMarker';
import * as bench from './variants';

export interface BackendProcess extends KitBackendProcess {
  /** A full GC in the backend, then its heap as it reports it */
  gc(): Promise<Record<string, unknown>>;
}
export type Backends = Record<bench.BackendName, BackendProcess>;

const running: BackendProcess[] = [];
let simulator: BitbucketSimulator | undefined;
let configDir: string | undefined;

export async function stopAll() {
  await Promise.all(running.splice(0).map(backend => backend.stop()));
  await simulator?.stop();
  if (configDir) fs.rmSync(configDir, { recursive: true, force: true });
}

let interrupted = false;
function onSignal(signal: NodeJS.Signals) {
  if (interrupted) process.exit(130); // a second signal: at once
  interrupted = true;
  log(`${signal}: stopping the backends and the simulator`);
  stopAll().finally(() => process.exit(130));
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, onSignal);
}
export const wasInterrupted = () => interrupted;

export async function startAll() {
  const ports = { ours: await freePort(), public: 0 };
  while (!ports.public || ports.public === ports.ours) {
    ports.public = await freePort();
  }
  const consumers = Object.values(bench.variants).map(variant =>
    bench.consumerOf(variant, ports[variant.backend]),
  );
  const sim = await startBitbucketSimulator({ consumers });
  simulator = sim;
  configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bitbucket-bench-'));
  const backends = {} as Backends;
  for (const name of bench.backendNames) {
    const configFile = path.join(configDir, `${name}.json`);
    const config = bench.backendConfig(name, ports[name], sim.url);
    fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
    backends[name] = startBackend(name, ports[name], configFile, sim.url);
    running.push(backends[name]);
  }
  return { sim, backends, ports };
}

/** Seconds until every variant's users have signed in: the catalog has read bench/catalog.yaml */
export async function waitUntilReady(
  backends: Backends,
  sim: BitbucketSimulator,
) {
  const readyAt = { ours: NaN, public: NaN };
  for (const variant of Object.values(bench.variants)) {
    const backend = backends[variant.backend];
    for (const user of variant.users) {
      while (!(await signIn(backend.url, variant, sim, user)).ok) {
        if (!backend.running() || elapsedMs() > 120_000) {
          const output = backend.output().slice(-5000);
          throw new Error(
            `the ${backend.name} backend did not become ready (${variant.name}: ${user.username} could not sign in); its last output:\n${output}`,
          );
        }
        await new Promise(resolve => setTimeout(resolve, 250));
      }
    }
    readyAt[variant.backend] = Math.round(elapsedMs() / 100) / 10;
  }
  return readyAt;
}

function startBackend(
  name: bench.BackendName,
  port: number,
  configFile: string,
  simulatorUrl: string,
): BackendProcess {
  const backend = startBackendProcess({
    name,
    backendDir: bench.benchDir,
    entry: 'src/backendMain.ts',
    nodeArgs: ['--expose-gc'],
    port,
    configFiles: [configFile],
    // request logging would dominate a sign-in's cost
    env: {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      BENCH_MODULE: name,
      BENCH_SIMULATOR_URL: simulatorUrl,
    },
  });
  let gcs = 0;
  const gc = async () => {
    const marker = `${GC_MARKER} ${++gcs} `;
    process.kill(backend.pid, 'SIGUSR2');
    for (let waited = 0; waited < 10_000; waited += 50) {
      await new Promise(resolve => setTimeout(resolve, 50));
      const output = backend.output();
      const at = output.lastIndexOf(marker);
      const end = at < 0 ? -1 : output.indexOf('\n', at);
      if (end >= 0) return JSON.parse(output.slice(at + marker.length, end));
    }
    throw new Error(`the ${name} backend did not report a GC in 10 s`);
  };
  return { ...backend, gc };
}
