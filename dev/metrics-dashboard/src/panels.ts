import type { Recording } from './record';

export type Line = { label: string; values: Array<number | null> };

/** Rate windows for a recording of minutes; the dashboard's queries use 5 m */
export const WINDOW_SECONDS = 60;

/** A histogram bucket's upper bound */
const bound = (le: string) => (le === '+Inf' ? Infinity : Number(le));

/** Each dashboard panel, by title: what its PromQL computes, from the recording */
export function evaluatePanels(rec: Recording): Record<string, Line[]> {
  const window = WINDOW_SECONDS / rec.scrapeSeconds;
  // by `key`, the sum of each series' increase over n scrapes (all of the recording if fewer)
  const increaseBy = (
    name: string,
    key: (labels: Record<string, string>) => string,
    n = window,
  ) => {
    const groups = new Map<string, number[]>();
    for (const { labels, values } of rec.series.filter(s => s.name === name)) {
      const sum = groups.get(key(labels)) ?? rec.times.map(() => 0);
      values.forEach((v, i) => {
        sum[i] += (v ?? 0) - (values[Math.max(0, i - n)] ?? 0);
      });
      groups.set(key(labels), sum);
    }
    return [...groups].map(([label, values]) => ({ label, values }));
  };
  const signIns = increaseBy('auth_bitbucket_sign_ins_total', l => l.reason);
  const buckets = (endpoint: string) =>
    increaseBy('bitbucket_request_duration_bucket', l =>
      l.endpoint === endpoint ? l.le : '',
    )
      .filter(b => b.label)
      .sort((a, b) => bound(a.label) - bound(b.label));
  const removed = (name: string) =>
    increaseBy(name, l => l.reason).find(l => l.label === 'endpoint_removed')
      ?.values ?? rec.times.map(() => 0);
  return {
    'Sign-in failures by reason': signIns
      .filter(l => l.label !== 'ok')
      .map(({ label, values }) => ({
        label,
        values: values.map((v, i) => {
          const total = signIns.reduce((sum, l) => sum + l.values[i], 0);
          return total ? v / total : null;
        }),
      })),
    'Bitbucket removed an endpoint: upgrade the plugin': [
      { label: 'sign-ins', values: removed('auth_bitbucket_sign_ins_total') },
      { label: 'refreshes', values: removed('auth_bitbucket_refreshes_total') },
    ],
    'Bitbucket p95 latency by endpoint': increaseBy(
      'bitbucket_request_duration_count',
      l => l.endpoint,
    ).map(({ label }) => {
      const byBound = buckets(label);
      return {
        label,
        values: rec.times.map((_, i) =>
          quantile(
            0.95,
            byBound.map(b => [bound(b.label), b.values[i]]),
          ),
        ),
      };
    }),
    'Org sync age': rec.series
      .filter(s => s.name === 'catalog_bitbucket_cloud_org_last_success')
      .map(({ labels, values }) => ({
        label: labels.provider,
        values: values.map((v, i) => (v ? rec.times[i] - v : null)),
      })),
    'Session refreshes by outcome': increaseBy(
      'auth_bitbucket_refreshes_total',
      l => l.reason,
    ).map(({ label, values }) => ({
      label,
      values: values.map(v => v / WINDOW_SECONDS),
    })),
    'Org provider runs by outcome': increaseBy(
      'catalog_bitbucket_cloud_org_runs_total',
      l => [l.provider, l.outcome, l.limit].filter(Boolean).join(' '),
      3600 / rec.scrapeSeconds,
    ),
  };
}

/** histogram_quantile over cumulative [upper bound, count] buckets, interpolating as Prometheus does */
export function quantile(q: number, buckets: Array<[number, number]>) {
  const rank = q * (buckets.at(-1)?.[1] ?? 0);
  const i = buckets.findIndex(([, count]) => count >= rank);
  if (!rank) return null;
  if (buckets[i][0] === Infinity) return buckets[i - 1]?.[0] ?? null;
  const [lower, below] = i > 0 ? buckets[i - 1] : [0, 0];
  return (
    lower + ((buckets[i][0] - lower) * (rank - below)) / (buckets[i][1] - below)
  );
}
