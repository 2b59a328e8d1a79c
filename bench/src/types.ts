import type { LoadResult } from './driver';
import type { ModuleCost } from './moduleCost';
import type { BackendName } from './processes';

/** One run of sign-ins against one backend, as both `yarn bench` and `bench:catalog` record it */
export interface BlockMeasure extends LoadResult {
  phase: string;
  signInsPerSecond: number;
  /** CPU time of the backend under test (all threads) during the block */
  backendCpuMs: number;
  /** Busy cores of the whole machine, averaged over the block */
  machineBusyCores: number;
  /** Simulator request counts per pathname during the block */
  bitbucketCalls: Record<string, number>;
}

/** A block of `yarn bench`: ours or public */
export interface BlockRecord extends BlockMeasure {
  backend: BackendName;
  /** Added by the simulator to every token and /2.0 call */
  latencyMs: number;
  planned: number;
  /** CPU time of the idle backend meanwhile */
  otherBackendCpuMs: number;
  /** CPU time of this process (driver and simulator) meanwhile */
  driverCpuMs: number;
  /** Busy cores not explained by the bench's own processes */
  foreignCores: number;
}

export interface MemoryPoint {
  label: string;
  /** Sign-ins on this backend since the baseline */
  signIns: number;
  /** VmRSS after a full GC, bytes */
  rss: number;
  /** VmHWM so far, bytes */
  peakRss: number;
  /** Anonymous (heap, malloc) and file-backed parts of that RSS, bytes */
  rssAnon: number;
  rssFile: number;
  /** V8 heap in use and reserved after the GC, as the backend reported them, bytes */
  heapUsed: number;
  heapTotal: number;
  /** Memory of C++ objects bound to JS (buffers etc.), bytes */
  external: number;
  atMs: number;
}

export interface BackendTally {
  signInsSinceBaseline: number;
  memory: MemoryPoint[];
  bitbucketCalls: Record<string, number>;
  callsCountedSignIns: number;
}

export interface RunRecord {
  startedAt: string;
  totalSeconds: number;
  environment: Record<string, unknown>;
  readySeconds: Record<BackendName, number>;
  rssAtReady: Record<BackendName, number>;
  peakRss: Record<BackendName, number>;
  tallies: Record<BackendName, BackendTally>;
  blocks: BlockRecord[];
  /** The modules alone, in one process: CPU µs per callback of each round */
  moduleCost?: ModuleCost;
}
