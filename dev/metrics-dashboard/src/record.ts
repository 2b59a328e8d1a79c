import type { Fault } from '@bitbucket-signin/bitbucket-cloud-simulator';
import {
  freePort,
  refreshBackstageSession,
  signInThroughBackstage,
  simulatedBitbucketConfig,
  startBackendProcess,
  startSimulatedBitbucket,
} from '@bitbucket-signin/test-kit';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseExposition, Sample } from './exposition';

/** Scrapes of the demo backend's /metrics, series by series */
export interface Recording {
  scrapeSeconds: number;
  /** Unix seconds of each scrape */
  times: number[];
  phases: Array<{ name: string; from: number; to: number }>;
  /** Every metric name the last scrape exposed, the framework's included */
  exposedNames: string[];
  /** Ours only, a value per scrape (null before the series showed) */
  series: Array<Omit<Sample, 'value'> & { values: Array<number | null> }>;
}

const OURS =
  /^(auth_bitbucket_|bitbucket_request_|catalog_bitbucket_cloud_org_)/;
const USERS = ['alice-bb', 'bob-bb', 'carol-bb', 'dave-bb', 'mallory-bb'];
/** One sign-in in ten is grace-bb's, not in the catalog; one in thirteen declines at the consent page */
const signInAs = (i: number) =>
  (i % 10 === 9 && 'grace-bb') ||
  (i % 13 === 12 && 'declines') ||
  USERS[i % USERS.length];
const GONE: Fault = { path: '/2.0/user', kind: 'status', status: 410 };
const ORG_DOWN = { ...GONE, path: '/2.0/workspaces/acme/members', status: 503 };
const PHASES: Array<[string, number, number, Fault[]]> = [
  // name, seconds, Bitbucket's latency in ms, faults
  ['normal', 70, 0, []],
  ['Bitbucket slow: 2 s per answer', 45, 2000, []],
  ['410 on /2.0/user, org sync failing', 45, 0, [GONE, ORG_DOWN]],
  ['org sync still failing', 45, 0, [ORG_DOWN]],
  ['recovered', 60, 0, []],
];
const SCRAPE_SECONDS = 5;
const now = () => Math.round(Date.now() / 1000);

/** Runs the demo backend against the simulator through PHASES, scraping as it goes */
export async function record(repoRoot: string): Promise<Recording> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const backendUrl = `http://127.0.0.1:${port}`;
  const simulator = await startSimulatedBitbucket(`http://localhost:${port}`);
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'metrics-dash-'));
  const config = path.join(configDir, 'app-config.dashboard.yaml');
  fs.writeFileSync(
    config,
    JSON.stringify(simulatedBitbucketConfig(simulator, port)),
  );
  const backend = startBackendProcess({
    backendDir: path.join(repoRoot, 'packages/backend'),
    name: 'backend',
    port,
    configFiles: ['app-config.yaml', 'app-config.simulator.yaml']
      .map(file => path.join(repoRoot, file))
      .concat(config),
    env: { NODE_ENV: 'development', PROMETHEUS_METRICS_PORT: `${metricsPort}` },
  });
  const signIn = (username: string) =>
    signInThroughBackstage({
      backendUrl,
      consent: url =>
        username === 'declines'
          ? simulator.deny(url)
          : simulator.approve(url, username),
    }).catch(() => undefined);
  const [times, phases]: [number[], Recording['phases']] = [[], []];
  let exposedNames: string[] = [];
  const byKey = new Map<string, Omit<Sample, 'value'> & { values: number[] }>();
  const scrape = async () => {
    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    const samples = parseExposition(await metrics.text());
    exposedNames = [...new Set(samples.map(s => s.name))].sort();
    const at = times.push(now()) - 1;
    for (const sample of samples.filter(s => OURS.test(s.name))) {
      const key = JSON.stringify([sample.name, sample.labels]);
      if (!byKey.has(key)) byKey.set(key, { ...sample, values: [] });
      byKey.get(key)!.values[at] = sample.value;
    }
  };
  try {
    // up once the org provider's first run brought alice into the catalog
    for (let i = 0; !(await signIn('alice-bb'))?.response; i++) {
      if (i > 180 || !backend.running()) {
        throw new Error(`backend did not come up:\n${backend.output()}`);
      }
      await sleep(500);
    }
    let done = false;
    const every = async (ms: number, step: (i: number) => Promise<unknown>) => {
      for (let i = 0; !done; i++) await Promise.all([step(i), sleep(ms)]);
    };
    const sessions = new Map<string, string[]>();
    const running = Promise.all([
      every(SCRAPE_SECONDS * 1000, scrape),
      every(1500, async i => {
        const username = signInAs(i);
        const outcome = await signIn(username);
        if (outcome?.response) sessions.set(username, outcome.cookies);
      }),
      // each open session refreshes, every third round from three tabs at once
      every(2000, async i => {
        for (const [username, cookies] of sessions) {
          const tabs = Array.from({ length: i % 3 ? 1 : 3 }, () =>
            refreshBackstageSession({ backendUrl, cookies }).catch(
              () => undefined,
            ),
          );
          const ok = (await Promise.all(tabs)).find(r => r?.status === 200);
          if (!ok) sessions.delete(username);
          // the rotated refresh cookie replaces the old one
          const jar = new Map(
            [...cookies, ...(ok?.cookies ?? [])].map(c => [c.split('=')[0], c]),
          );
          if (ok) sessions.set(username, [...jar.values()]);
        }
      }),
    ]);
    // awaited below; until then a failed scrape must not count as unhandled
    running.catch(() => {});
    for (const [name, seconds, latencyMs, faults] of PHASES) {
      simulator.clearFaults();
      simulator.setLatency(latencyMs);
      faults.forEach(fault => simulator.addFault(fault));
      const from = now();
      await sleep(seconds * 1000);
      phases.push({ name, from, to: now() });
    }
    done = true;
    await running;
    const series = [...byKey.values()].map(({ name, labels, values }) => ({
      name,
      labels,
      values: times.map((_, i) => values[i] ?? null),
    }));
    return {
      scrapeSeconds: SCRAPE_SECONDS,
      times,
      phases,
      exposedNames,
      series,
    };
  } finally {
    await backend.stop();
    await simulator.stop();
    fs.rmSync(configDir, { recursive: true, force: true });
  }
}
