export type BurstResult<T> =
  | { index: number; ok: true; value: T; ms: number }
  | { index: number; ok: false; error: Error; ms: number };

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no answer within ${ms} ms`)),
      ms,
    );
    promise.then(
      value => {
        clearTimeout(timer);
        resolve(value);
      },
      error => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });

/**
 * Runs `count` tasks with at most `concurrency` in flight. Bounded by count
 * and time: each task gets `taskTimeoutMs`, and tasks not started within
 * `totalTimeoutMs` are recorded as failed without running.
 */
export async function burst<T>(options: {
  count: number;
  concurrency: number;
  taskTimeoutMs: number;
  totalTimeoutMs: number;
  task: (index: number) => Promise<T>;
  onSettled?: (result: BurstResult<T>, settledSoFar: number) => void;
}): Promise<BurstResult<T>[]> {
  const { count, concurrency, taskTimeoutMs, totalTimeoutMs, task } = options;
  const deadline = Date.now() + totalTimeoutMs;
  const results: BurstResult<T>[] = new Array(count);
  let next = 0;
  let settled = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const started = Date.now();
      let result: BurstResult<T>;
      if (started > deadline) {
        result = {
          index,
          ok: false,
          error: new Error('not started: the burst ran out of time'),
          ms: 0,
        };
      } else {
        try {
          const value = await withTimeout(
            Promise.resolve().then(() => task(index)),
            taskTimeoutMs,
          );
          result = { index, ok: true, value, ms: Date.now() - started };
        } catch (error) {
          result = {
            index,
            ok: false,
            error: error instanceof Error ? error : new Error(String(error)),
            ms: Date.now() - started,
          };
        }
      }
      results[index] = result;
      settled++;
      options.onSettled?.(result, settled);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, worker),
  );
  return results;
}

/** The p-th percentile (0..100) of the durations, in ms */
export function percentile(durations: number[], p: number): number {
  if (durations.length === 0) return NaN;
  const sorted = [...durations].sort((a, b) => a - b);
  return sorted[
    Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  ];
}
