/** Nearest-rank percentile of unsorted samples; NaN when there are none */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) {
    return NaN;
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** Least-squares slope of y over x (e.g. MB per 1,000 sign-ins); NaN with fewer than 2 points */
export function slope(points: Array<[number, number]>): number {
  if (points.length < 2) {
    return NaN;
  }
  const mx = sum(points.map(p => p[0])) / points.length;
  const my = sum(points.map(p => p[1])) / points.length;
  const sxy = sum(points.map(([x, y]) => (x - mx) * (y - my)));
  const sxx = sum(points.map(([x]) => (x - mx) ** 2));
  return sxx < 1e-12 ? NaN : sxy / sxx; // all at one x: no slope
}

/** Two-sided 95% quantiles of Student's t for 1 to 30 degrees of freedom */
const T_975 = [
  12.71, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201,
  2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074,
  2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/**
 * The ratio a/b from paired measurements (a[i] and b[i] taken side by side,
 * e.g. one ABBA round): geometric mean of the pair ratios and its 95%
 * confidence interval, from Student's t on their logarithms. Machine drift
 * that hits both halves of a pair cancels out of each ratio; what is left
 * is the noise the interval reports.
 */
export function pairedRatio(a: number[], b: number[]) {
  const logs = a
    .slice(0, b.length)
    .map((value, i) => Math.log(value / b[i]))
    .filter(Number.isFinite);
  const n = logs.length;
  if (n < 2) {
    return { ratio: NaN, low: NaN, high: NaN, pairs: n };
  }
  const mean = sum(logs) / n;
  const sd = Math.sqrt(sum(logs.map(x => (x - mean) ** 2)) / (n - 1));
  const half = (T_975[n - 2] ?? 1.96) * (sd / Math.sqrt(n));
  const [ratio, low, high] = [0, -half, half].map(d => Math.exp(mean + d));
  return { ratio, low, high, pairs: n };
}
