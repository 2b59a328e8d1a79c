/** A run as `yarn bench` records it, made up, for the verdict and report tests */
import { fullPlan } from '../plan';
import {
  AFTER_WARM_UP,
  BlockRecord,
  END_OF_FIRST_WINDOW,
  END_OF_SECOND_WINDOW,
  MemoryPoint,
  RunRecord,
} from '../types';
import { BackendName, VariantName, variants } from '../variants';

const MB = 2 ** 20;
/** Callbacks the full plan makes per variant at +100 ms */
export const SLOW_CALLBACKS = fullPlan.latency[1].perVariant;

function block(
  variant: VariantName,
  phase: BlockRecord['phase'],
  planned: number,
  attempted: number,
  extra: Partial<BlockRecord> = {},
): BlockRecord {
  return {
    phase,
    variant,
    backend: variants[variant].backend,
    concurrency: phase.startsWith('latency') ? 1 : 50,
    latencyMs: phase === 'latency +100 ms' ? 100 : 0,
    planned,
    attempted,
    succeeded: attempted,
    errors: 0,
    elapsedMs: 1000,
    callbackMs: phase.startsWith('latency')
      ? Array(attempted).fill(phase === 'latency +100 ms' ? 212 : 8)
      : [],
    backendCpuMs: 4 * attempted,
    bitbucketCalls: {},
    ...extra,
  };
}

/**
 * RSS after GC from 500 MB, up by `rssGrowthMb` over the second window in
 * even steps (1 MB unless told); V8 heap at 110 MB, up by `heapGrowthMb`
 */
function memory(
  secondWindow: number,
  { rssGrowthMb = 1, heapGrowthMb = 0 } = {},
): MemoryPoint[] {
  const point = (label: string, quarters: number) => ({
    label,
    signIns: 5000 + (quarters * secondWindow) / 4,
    rss: (500 + (quarters * rssGrowthMb) / 4) * MB,
    peakRss: 600 * MB,
    heapUsed: (110 + (quarters * heapGrowthMb) / 4) * MB,
  });
  return [
    { ...point(AFTER_WARM_UP, 0), signIns: 0, rss: 499 * MB },
    point(END_OF_FIRST_WINDOW, 0),
    point('second window 1/4', 1),
    point('second window 2/4', 2),
    point('second window 3/4', 3),
    point(END_OF_SECOND_WINDOW, 4),
  ];
}

/** A completed run that meets every target, but for what `options` change */
export function fakeRun(
  options: {
    oursSecondWindow?: number;
    oursCpuPerSignIn?: number;
    oursSlowCallbacks?: number;
    oursRssGrowthMb?: number;
    oursHeapGrowthMb?: number;
  } = {},
): RunRecord {
  const {
    oursSecondWindow = 5000,
    oursCpuPerSignIn = 4,
    oursSlowCallbacks = SLOW_CALLBACKS,
  } = options;
  const both: BackendName[] = ['ours', 'public'];
  const secondWindow = (name: BackendName) =>
    name === 'ours' ? oursSecondWindow : 5000;
  return {
    plan: fullPlan,
    startedAt: '2026-12-06T00:00:00.000Z',
    totalSeconds: 280,
    environment: { cpus: 2 },
    machine: { busyCores: 1.5, foreignCores: 0.2 },
    readySeconds: { ours: 20, public: 20 },
    memory: {
      ours: memory(oursSecondWindow, {
        rssGrowthMb: options.oursRssGrowthMb,
        heapGrowthMb: options.oursHeapGrowthMb,
      }),
      public: memory(5000),
    },
    blocks: [
      block('ours', 'latency +100 ms', SLOW_CALLBACKS, oursSlowCallbacks),
      block('ours+acme', 'latency +100 ms', SLOW_CALLBACKS, SLOW_CALLBACKS),
      block('public', 'latency +100 ms', SLOW_CALLBACKS, SLOW_CALLBACKS),
      ...both.map(name => block(name, 'first window', 4560, 4560)),
      ...both.map(name =>
        block(name, 'second window', 5000, secondWindow(name), {
          backendCpuMs:
            (name === 'ours' ? oursCpuPerSignIn : 4) * secondWindow(name),
        }),
      ),
    ],
  };
}
