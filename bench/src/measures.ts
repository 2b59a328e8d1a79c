/**
 * The figures the table and the verdicts read out of a run's record, so
 * that both read them the same way.
 */
import { pairedRatio, percentile, slope, sum } from './stats';
import type { BlockRecord as Block, RunRecord } from './types';
import {
  END_OF_FIRST_WINDOW as FIRST,
  END_OF_SECOND_WINDOW as SECOND,
} from './types';
import type { BackendName, VariantName } from './variants';

export const MB = 2 ** 20;

function blocksOf(run: RunRecord, variant: VariantName, phase: RegExp) {
  return run.blocks.filter(b => b.variant === variant && phase.test(b.phase));
}

/** ours/public from the ABBA rounds of `phase`: their k-th blocks ran side by side */
function pairedBlocks(run: RunRecord, phase: RegExp, of: (b: Block) => number) {
  const perBlock = (b: BackendName) => blocksOf(run, b, phase).map(of);
  return pairedRatio(perBlock('ours'), perBlock('public'));
}

/** The callback samples of a latency phase, and how many were planned */
export function latencySamples(run: RunRecord, v: VariantName, ms: number) {
  const blocks = blocksOf(run, v, new RegExp(`^latency \\+${ms} ms$`));
  const phase = run.plan.latency.find(l => l.addedMs === ms);
  const samples = blocks.flatMap(b => b.callbackMs);
  return { samples, planned: phase?.perVariant ?? 0 };
}

export function callbackPercentile(
  run: RunRecord,
  v: VariantName,
  ms: number,
  p: number,
) {
  return percentile(latencySamples(run, v, ms).samples, p);
}

/** Sign-ins/s over the windows' 50-concurrent blocks */
export function throughputAt50(run: RunRecord, backend: BackendName) {
  const blocks = blocksOf(run, backend, /window$/);
  const ms = sum(blocks.map(b => b.elapsedMs));
  return sum(blocks.map(b => b.succeeded)) / (ms / 1000);
}

export const throughputRatio = (run: RunRecord) =>
  pairedBlocks(run, /window$/, b => b.succeeded / b.elapsedMs);

/** Backend CPU per sign-in over the second window, all threads, ms */
export function cpuPerSignIn(run: RunRecord, backend: BackendName) {
  const blocks = blocksOf(run, backend, /^second window$/);
  const ms = sum(blocks.map(b => b.backendCpuMs));
  return ms / sum(blocks.map(b => b.attempted));
}

export const cpuRatio = (run: RunRecord) =>
  pairedBlocks(run, /^second window$/, b => b.backendCpuMs / b.attempted);

export const errorsOf = (run: RunRecord, variant: VariantName) =>
  sum(blocksOf(run, variant, /./).map(b => b.errors));

export const signInsOf = (run: RunRecord, variant: VariantName) =>
  sum(blocksOf(run, variant, /./).map(b => b.attempted));

/** Token and API calls per sign-in: the simulator's counts, less the consent page the browser loads */
export function callsPerSignIn(run: RunRecord, variant: VariantName) {
  const calls = blocksOf(run, variant, /./).flatMap(b =>
    Object.entries(b.bitbucketCalls)
      .filter(([pathname]) => pathname !== '/site/oauth2/authorize')
      .map(([, count]) => count),
  );
  return sum(calls) / signInsOf(run, variant);
}

export const memoryAt = (run: RunRecord, b: BackendName, label: string) =>
  run.memory[b].find(m => m.label === label);

/** Sign-ins each window held, as counted at its memory points */
export function windowSignIns(run: RunRecord, b: BackendName) {
  const first = memoryAt(run, b, FIRST)?.signIns ?? 0;
  const end = memoryAt(run, b, SECOND)?.signIns;
  return { first, second: end === undefined ? 0 : end - first };
}

/** RSS after GC where the second window starts, MB */
export function secondWindowStart(run: RunRecord, b: BackendName) {
  return (memoryAt(run, b, FIRST)?.rss ?? NaN) / MB;
}

/** RSS after GC over the second window, MB */
export function secondWindowGrowth(run: RunRecord, b: BackendName) {
  const rss = (label: string) => memoryAt(run, b, label)?.rss ?? NaN;
  return (rss(SECOND) - rss(FIRST)) / MB;
}

/** Least-squares slope over the second window's points, its start included, MB per 1,000 sign-ins */
export function secondWindowTrend(
  run: RunRecord,
  backend: BackendName,
  of: 'rss' | 'heapUsed',
) {
  const points = run.memory[backend];
  const start = points.findIndex(m => m.label === FIRST);
  const window = start < 0 ? [] : points.slice(start);
  return slope(window.map(m => [m.signIns / 1000, m[of] / MB]));
}
