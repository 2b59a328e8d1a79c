/**
 * `yarn bench`: our Bitbucket module against the public
 * @backstage/plugin-auth-backend-module-bitbucket-provider, in two real
 * backend processes, side by side. `--smoke` runs a short plan that shows the
 * bench works; `--budget <seconds>` shortens either. See bench/README.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAll, stopAll, waitUntilReady, wasInterrupted } from './backends';
import { elapsedMs, log } from './clock';
import { callsPerSignIn } from './measures';
import { measureModuleCost } from './moduleCost';
import { firstWindow, latency, secondWindow, warmUp } from './phases';
import { planFromArgs } from './plan';
import { assertListensOn, watchMachineLoad } from './procfs';
import { buildReport, printReport } from './report';
import { Session } from './session';
import type { RunRecord } from './types';
import * as bench from './variants';

/** Each variant made the calls its config implies, else it measured something else */
function assertCallCounts(run: RunRecord) {
  for (const variant of Object.values(bench.variants)) {
    const calls = callsPerSignIn(run, variant.name);
    const expected = bench.expectedCallsPerSignIn(variant);
    if (Number.isFinite(calls) && Math.abs(calls - expected) > 0.01) {
      const made = `${variant.name} made ${calls} Bitbucket calls per sign-in`;
      throw new Error(
        `${made}, not the ${expected} its config implies: it did not run what it says, so the run reports nothing`,
      );
    }
  }
}

function writeResults(startedAt: string, json: string) {
  const dir = path.join(bench.benchDir, 'results');
  const file = path.join(dir, `bench-${startedAt.replace(/[:.]/g, '-')}.json`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, json);
  fs.writeFileSync(path.join(dir, 'latest.json'), json);
  return path.relative(process.cwd(), file);
}

const version = (pkg: string) => require(`${pkg}/package.json`).version;

async function main() {
  const plan = planFromArgs(process.argv.slice(2));
  const startedAt = new Date().toISOString();
  const { sim, backends, ports } = await startAll();
  const readySeconds = await waitUntilReady(backends, sim);
  const moduleCost = await measureModuleCost(sim, ports, plan.moduleCost).catch(
    error => log(`module alone not measured (information): ${error.message}`),
  );

  const session = new Session(plan, backends, sim);
  const pids = [process.pid, backends.ours.pid, backends.public.pid];
  const machineLoad = watchMachineLoad(pids);
  for (const phase of [warmUp, latency, firstWindow, secondWindow]) {
    await phase(session);
  }
  const machine = machineLoad();
  for (const name of bench.backendNames) {
    // a listening socket does not change hands: the process whose CPU and
    // memory were read served every request sent to its port
    assertListensOn(backends[name].pid, ports[name], name);
  }
  await stopAll();

  const run: RunRecord = {
    plan,
    startedAt,
    totalSeconds: elapsedMs() / 1000,
    environment: {
      node: process.version,
      cpus: os.cpus().length,
      publicModule: version(
        '@backstage/plugin-auth-backend-module-bitbucket-provider',
      ),
      authBackend: version('@backstage/plugin-auth-backend'),
    },
    machine,
    readySeconds,
    memory: session.memory,
    blocks: session.blocks,
    moduleCost: moduleCost ?? undefined,
  };
  assertCallCounts(run);
  const report = buildReport(run);
  printReport(report);
  const file = writeResults(
    startedAt,
    JSON.stringify({ ...report, run }, null, 2),
  );
  process.stdout.write(`\nJSON: ${file} (and bench/results/latest.json)\n`);
  // a FAIL or a REFUSED verdict is no pass, also for a script that runs the bench
  process.exitCode = report.targets.every(t => t.verdict === 'PASS') ? 0 : 1;
}

main().then(
  () => process.exit(), // with process.exitCode
  async error => {
    if (wasInterrupted()) return; // the signal handler stops everything and exits
    log(`failed: ${error?.stack ?? error}`);
    await stopAll().catch(() => {});
    process.exit(1);
  },
);
