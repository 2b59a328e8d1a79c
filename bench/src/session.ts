/**
 * One run's measuring state: the backends, the simulator, the time budget,
 * and every block and memory point taken so far.
 */
import type { BitbucketSimulator } from '@bitbucket-signin/bitbucket-cloud-simulator';
import { performance } from 'node:perf_hooks';
import { elapsedMs, log } from './clock';
import { signIn } from './driver';
import type { Backends } from './backends';
import { abba, RunPlan } from './plan';
import { readCpuMs, readRss } from './procfs';
import { sum } from './stats';
import type { BlockRecord, MemoryPoint, Phase } from './types';
import type { BackendName, Variant } from './variants';

type BlockOptions = { concurrency: number; count: number; latencyMs: number };

export class Session {
  readonly blocks: BlockRecord[] = [];
  readonly memory: Record<BackendName, MemoryPoint[]> = {
    ours: [],
    public: [],
  };
  /** Sign-ins per backend since the warm-up: what the memory windows count */
  readonly signIns: Record<BackendName, number> = { ours: 0, public: 0 };

  constructor(
    readonly plan: RunPlan,
    readonly backends: Backends,
    readonly simulator: BitbucketSimulator,
  ) {}

  /** What a block may take: at most 30 s, and the budget less 15 s kept for the end */
  blockMaxMs() {
    const left = this.plan.budgetMs - 15_000 - elapsedMs();
    return Math.max(0, Math.min(30_000, left));
  }

  /** `count` sign-ins of one variant (fewer if its time is up), with what they cost */
  async block(
    variant: Variant,
    phase: Phase,
    options: BlockOptions,
  ): Promise<BlockRecord> {
    const backend = this.backends[variant.backend];
    const sim = this.simulator;
    const record: BlockRecord = {
      phase,
      variant: variant.name,
      backend: variant.backend,
      concurrency: options.concurrency,
      latencyMs: options.latencyMs,
      planned: options.count,
      attempted: 0,
      succeeded: 0,
      errors: 0,
      callbackMs: [],
      elapsedMs: 0,
      backendCpuMs: -readCpuMs(backend.pid),
      bitbucketCalls: {},
    };
    sim.setLatency(options.latencyMs);
    sim.resetRequestCounts();
    const began = performance.now();
    const deadline = began + this.blockMaxMs();
    const offset = this.signIns[variant.backend];
    // a closed loop: `concurrency` sign-ins in flight until `count` were started or the time is up
    const worker = async () => {
      while (record.attempted < options.count && performance.now() < deadline) {
        const user =
          variant.users[(offset + record.attempted++) % variant.users.length];
        const outcome = await signIn(backend.url, variant, sim, user);
        if (outcome.ok) {
          record.succeeded++;
          record.callbackMs.push(outcome.callbackMs);
        } else if (record.errors++ < 3) {
          log(`${variant.name}: a sign-in failed: ${outcome.error}`);
        }
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    record.elapsedMs = performance.now() - began;
    record.backendCpuMs += readCpuMs(backend.pid);
    record.bitbucketCalls = sim.requestCounts();
    sim.setLatency(0);
    this.signIns[variant.backend] += record.attempted;
    this.blocks.push(record);
    return record;
  }

  /** `rounds` blocks per variant in ABBA order, `perVariant` sign-ins each in all */
  async alternate(
    phase: Phase,
    variants: Variant[],
    options: Omit<BlockOptions, 'count'> & {
      perVariant: number;
      rounds: number;
    },
  ) {
    const started = elapsedMs();
    const count = Math.ceil(options.perVariant / options.rounds);
    for (let round = 0; round < options.rounds; round++) {
      for (const variant of abba(variants, round)) {
        await this.block(variant, phase, { ...options, count });
      }
    }
    const mine = this.blocks.filter(b => b.phase === phase);
    const ok = sum(mine.map(b => b.succeeded));
    const errors = sum(mine.map(b => b.errors));
    const seconds = ((elapsedMs() - started) / 1000).toFixed(1);
    log(`${phase}: ${ok} sign-ins, ${errors} errors (${seconds} s)`);
  }

  /** RSS after a full GC in the backend, and its V8 heap */
  async memoryPoint(name: BackendName, label: string) {
    const backend = this.backends[name];
    const { exposed, heapUsed } = await backend.gc();
    if (exposed !== true) {
      throw new Error(`the ${name} backend runs without --expose-gc`);
    }
    const signIns = this.signIns[name];
    const { rss, peakRss } = readRss(backend.pid);
    const heap = Number(heapUsed);
    this.memory[name].push({ label, signIns, rss, peakRss, heapUsed: heap });
    const mb = (rss / 2 ** 20).toFixed(1);
    log(`${name}: ${label}, ${signIns} sign-ins, RSS ${mb} MB`);
  }
}
