/**
 * How many sign-ins each phase makes, and how long the whole run may take:
 * `yarn bench` (full) and `yarn bench --smoke` (a minute or two, to see that
 * the bench works; its figures mean little). `--budget <seconds>` shortens
 * either, e.g. to watch a verdict refused on a window cut short.
 */
export const fullPlan = {
  name: 'full',
  /** The whole run, start-up to report, ends within this */
  budgetMs: 285_000,
  /** Sign-ins per backend in each memory window */
  window: 5_000,
  /** RSS after GC points in the second window */
  windowPoints: 4,
  /** ABBA rounds of 50-concurrent blocks that fill the first window */
  firstWindowRounds: 4,
  /** Per backend at 50 concurrent, not counted: JIT, pools, signing keys */
  warmUp: 400,
  /** Callback latency at concurrency 1, the simulator adding `addedMs` to each Bitbucket call */
  latency: [
    { addedMs: 0, perVariant: 120, rounds: 6 },
    { addedMs: 100, perVariant: 60, rounds: 4 },
  ],
  /** The modules alone: callbacks per module to warm up, then ABBA rounds */
  moduleCost: { warmUp: 1_000, rounds: 20, perRound: 200, concurrency: 20 },
};

export type RunPlan = typeof fullPlan;

export const smokePlan: RunPlan = {
  name: 'smoke',
  budgetMs: 150_000,
  window: 400,
  windowPoints: 2,
  firstWindowRounds: 2,
  warmUp: 100,
  latency: [
    { addedMs: 0, perVariant: 12, rounds: 2 },
    { addedMs: 100, perVariant: 8, rounds: 2 },
  ],
  moduleCost: { warmUp: 100, rounds: 4, perRound: 50, concurrency: 20 },
};

export function planFromArgs(args: string[]): RunPlan {
  const plan = args.includes('--smoke') ? smokePlan : fullPlan;
  if (!args.includes('--budget')) return plan;
  const seconds = Number(args[args.indexOf('--budget') + 1]);
  if (!(seconds > 0)) {
    throw new Error('--budget takes the run time in seconds, e.g. --budget 60');
  }
  return { ...plan, budgetMs: seconds * 1000 };
}

/** ABBA order: as given in even rounds, reversed in odd ones, so drift hits all alike */
export function abba<T>(items: T[], round: number): T[] {
  return round % 2 === 0 ? items : [...items].reverse();
}
