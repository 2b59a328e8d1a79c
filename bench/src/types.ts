import type { ModuleCost } from './moduleCost';
import type { RunPlan } from './plan';
import type { BackendName, VariantName } from './variants';

export type Phase =
  | 'warm-up'
  | `latency +${number} ms`
  | 'first window'
  | 'second window';

/** Sign-ins of one variant, back to back, and what they cost */
export interface BlockRecord {
  phase: Phase;
  variant: VariantName;
  backend: BackendName;
  concurrency: number;
  /** Added by the simulator to every token and /2.0 call */
  latencyMs: number;
  planned: number;
  attempted: number;
  succeeded: number;
  errors: number;
  /** Callback latency of the successful sign-ins */
  callbackMs: number[];
  elapsedMs: number;
  /** CPU time of the backend under test, all threads */
  backendCpuMs: number;
  /** Simulator requests per pathname */
  bitbucketCalls: Record<string, number>;
}

/** Labels of the memory points the verdicts read */
export const AFTER_WARM_UP = 'after the warm-up';
export const END_OF_FIRST_WINDOW = 'end of the first window';
export const END_OF_SECOND_WINDOW = 'end of the second window';

/** After a full GC, in bytes */
export interface MemoryPoint {
  label: string;
  /** Sign-ins on this backend since the warm-up */
  signIns: number;
  /** VmRSS, and VmHWM (the peak) so far */
  rss: number;
  peakRss: number;
  /** V8 heap in use, as the backend reported it */
  heapUsed: number;
}

export interface RunRecord {
  plan: RunPlan;
  startedAt: string;
  totalSeconds: number;
  environment: Record<string, unknown>;
  /** Cores the machine was busy while measuring; how many were not the bench */
  machine: { busyCores: number; foreignCores: number };
  readySeconds: Record<BackendName, number>;
  memory: Record<BackendName, MemoryPoint[]>;
  blocks: BlockRecord[];
  /** The modules alone: CPU µs per callback of each round */
  moduleCost?: ModuleCost;
}
