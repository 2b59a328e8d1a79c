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

export function median(values: number[]): number {
  return percentile(values, 50);
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
  return sxx === 0 ? NaN : sxy / sxx;
}
