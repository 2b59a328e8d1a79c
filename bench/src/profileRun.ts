/**
 * `yarn bench --profile`: both backends run under --cpu-prof; after a
 * warm-up, alternating blocks of sign-ins at 50 concurrent are cut out of the
 * profiles (between SIGUSR2 markers) and compared per sign-in.
 */
import type { BitbucketSimulator } from '@bitbucket-signin/bitbucket-cloud-simulator';
import fs from 'node:fs';
import path from 'node:path';
import { runLoad } from './driver';
import type { BackendName, BackendProcess } from './processes';
import { readCpuMs } from './processes';
import { compare, mainThreadProfile, summarizeProfile } from './profile';

const ROUNDS = 4;
const PER_BLOCK = 1_000;

export async function runProfile(options: {
  backends: Record<BackendName, BackendProcess>;
  simulator: BitbucketSimulator;
  profileDir: string;
  resultsDir: string;
  stamp: string;
  log: (message: string) => void;
  stopBackends: () => Promise<void>;
}) {
  const { backends, simulator, profileDir, resultsDir, stamp, log } = options;
  const names: BackendName[] = ['ours', 'public'];
  const windows: Record<BackendName, Array<[number, number]>> = {
    ours: [],
    public: [],
  };
  const signIns = { ours: 0, public: 0 };
  const errors = { ours: 0, public: 0 };
  const cpuMs = { ours: 0, public: 0 };
  const elapsedMs = { ours: 0, public: 0 };

  for (const name of names) {
    await runLoad({
      backendUrl: backends[name].url,
      simulator,
      concurrency: 10,
      count: 400,
      maxMs: 15_000,
    });
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) {
      const backend = backends[name];
      const before = await backend.gc();
      const cpu0 = readCpuMs(backend.pid);
      const result = await runLoad({
        backendUrl: backend.url,
        simulator,
        concurrency: 50,
        count: PER_BLOCK,
        maxMs: 20_000,
      });
      cpuMs[name] += readCpuMs(backend.pid) - cpu0;
      const after = await backend.gc();
      windows[name].push([Number(before.doneUs), Number(after.receivedUs)]);
      signIns[name] += result.attempted;
      errors[name] += result.errors;
      elapsedMs[name] += result.elapsedMs;
    }
  }
  log(
    `profiled ${signIns.ours} + ${signIns.public} sign-ins at 50 concurrent; stopping the backends to write the profiles`,
  );
  await options.stopBackends();

  const summaries = {} as Record<
    BackendName,
    ReturnType<typeof summarizeProfile>
  >;
  const files = {} as Record<BackendName, string>;
  for (const name of names) {
    const file = mainThreadProfile(path.join(profileDir, name));
    if (!file) {
      throw new Error(
        `no main-thread profile in ${path.join(profileDir, name)}`,
      );
    }
    files[name] = file;
    summaries[name] = summarizeProfile(file, windows[name]);
  }

  const perSignIn = (name: BackendName) => ({
    signIns: signIns[name],
    errors: errors[name],
    signInsPerSecond: (signIns[name] - errors[name]) / (elapsedMs[name] / 1000),
    processCpuMsPerSignIn: cpuMs[name] / signIns[name],
    mainThreadBusyMsPerSignIn: summaries[name].busyUs / 1000 / signIns[name],
    mainThreadIdleShare:
      summaries[name].idleUs /
      (summaries[name].idleUs + summaries[name].busyUs),
  });
  const result = {
    note: 'Profiled run (--cpu-prof slows both backends); compare the two columns, not absolute figures with `yarn bench`',
    files,
    ours: perSignIn('ours'),
    public: perSignIn('public'),
    byArea: compare(
      summaries.ours.byArea,
      signIns.ours,
      summaries.public.byArea,
      signIns.public,
      20,
    ),
    byFile: compare(
      summaries.ours.byFile,
      signIns.ours,
      summaries.public.byFile,
      signIns.public,
      25,
    ),
    byFunction: compare(
      summaries.ours.byFunction,
      signIns.ours,
      summaries.public.byFunction,
      signIns.public,
      25,
    ),
  };

  const out: string[] = [];
  const us = (v: number) => v.toFixed(0).padStart(7);
  out.push(
    '',
    'CPU profile at 50 concurrent sign-ins (main thread, µs per sign-in)',
    `  ours:   ${
      result.ours.signIns
    } sign-ins, ${result.ours.signInsPerSecond.toFixed(
      1,
    )}/s, main thread busy ${result.ours.mainThreadBusyMsPerSignIn.toFixed(
      2,
    )} ms/sign-in, process CPU ${result.ours.processCpuMsPerSignIn.toFixed(
      2,
    )} ms/sign-in, idle ${(result.ours.mainThreadIdleShare * 100).toFixed(0)}%`,
    `  public: ${
      result.public.signIns
    } sign-ins, ${result.public.signInsPerSecond.toFixed(
      1,
    )}/s, main thread busy ${result.public.mainThreadBusyMsPerSignIn.toFixed(
      2,
    )} ms/sign-in, process CPU ${result.public.processCpuMsPerSignIn.toFixed(
      2,
    )} ms/sign-in, idle ${(result.public.mainThreadIdleShare * 100).toFixed(
      0,
    )}%`,
  );
  for (const [title, rows] of [
    ['By area', result.byArea],
    ['By file (largest differences)', result.byFile.slice(0, 15)],
    ['By function (largest differences)', result.byFunction.slice(0, 15)],
  ] as const) {
    out.push(
      '',
      `${title}:`,
      `${'ours'.padStart(7)} ${'public'.padStart(7)} ${'diff'.padStart(7)}`,
    );
    for (const row of rows) {
      out.push(
        `${us(row.ours)} ${us(row.public)} ${us(row.difference)}  ${row.name}`,
      );
    }
  }
  const file = path.join(resultsDir, `profile-${stamp}.json`);
  fs.writeFileSync(file, JSON.stringify(result, null, 2));
  out.push(
    '',
    `JSON: ${path.relative(process.cwd(), file)}; profiles: ${path.relative(
      process.cwd(),
      profileDir,
    )}`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
}
