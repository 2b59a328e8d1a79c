/**
 * The one table `yarn bench` prints, and the same as JSON; the table layout
 * `bench:catalog` prints its comparison in too.
 */
import type { BackendName } from './processes';
import { pairedRatio, percentile, slope, sum } from './stats';
import type { BlockRecord, RunRecord } from './types';

export interface ReportRow {
  metric: string;
  unit: string;
  ours: number;
  public: number;
  /** ours / public; null where the ratio means nothing (e.g. near-zero growth) */
  ratio: number | null;
  /** 95% confidence interval of the ratio, from paired measurements */
  ratioCi?: { low: number; high: number; pairs: number };
  /** Whether a higher value is better, for reading the ratio */
  higherIsBetter: boolean;
  decimals: number;
}

export interface TargetCheck {
  target: string;
  measured: string;
  pass: boolean;
}

export interface Report {
  title: string;
  rows: ReportRow[];
  targets: TargetCheck[];
  notes: string[];
}

const MB = 2 ** 20;
/** A Bitbucket call's simulated latency in the second latency phase */
const SLOW_MS = 100;
const CONSENT_PATH = '/site/oauth2/authorize';

function blocksOf(run: RunRecord, name: BackendName, phase: RegExp) {
  return run.blocks.filter(b => b.backend === name && phase.test(b.phase));
}

function callbackSamples(blocks: BlockRecord[]) {
  return blocks.flatMap(b => b.callbackMs);
}

function rate(blocks: BlockRecord[]) {
  const ms = sum(blocks.map(b => b.elapsedMs));
  return ms > 0 ? sum(blocks.map(b => b.succeeded)) / (ms / 1000) : NaN;
}

/** ours/public from the ABBA rounds of a phase: the k-th block of each backend ran side by side */
function pairedRates(run: RunRecord, phase: RegExp) {
  const rates = (name: BackendName) =>
    blocksOf(run, name, phase).map(b => b.signInsPerSecond);
  return pairedRatio(rates('ours'), rates('public'));
}

function cpuPerSignIn(blocks: BlockRecord[]) {
  const n = sum(blocks.map(b => b.attempted));
  return n > 0 ? sum(blocks.map(b => b.backendCpuMs)) / n : NaN;
}

export function buildReport(run: RunRecord): Report {
  const rows: ReportRow[] = [];
  const add = (
    metric: string,
    unit: string,
    value: (name: BackendName) => number,
    options: {
      higherIsBetter?: boolean;
      decimals?: number;
      noRatioBelow?: number;
      ratioCi?: ReportRow['ratioCi'];
    } = {},
  ) => {
    const ours = value('ours');
    const pub = value('public');
    const meaningful =
      Number.isFinite(ours) &&
      Number.isFinite(pub) &&
      pub !== 0 &&
      (options.noRatioBelow === undefined ||
        Math.abs(pub) >= options.noRatioBelow);
    rows.push({
      metric,
      unit,
      ours,
      public: pub,
      ratio: meaningful ? ours / pub : null,
      ratioCi: options.ratioCi,
      higherIsBetter: options.higherIsBetter ?? false,
      decimals: options.decimals ?? 1,
    });
  };

  for (const latency of [0, SLOW_MS]) {
    for (const p of [50, 95, 99]) {
      add(`callback p${p}, Bitbucket +${latency} ms/call`, 'ms', name =>
        percentile(
          callbackSamples(
            blocksOf(run, name, new RegExp(`^latency @${latency}ms$`)),
          ),
          p,
        ),
      );
    }
  }
  for (const c of [1, 10, 50]) {
    // at 50 concurrent: the throughput phase and every later block, all at c=50
    const phase = new RegExp(c === 50 ? 'c=50' : `^throughput c=${c}$`);
    add(
      `sign-ins/s at ${c} concurrent`,
      '/s',
      name => rate(blocksOf(run, name, phase)),
      { higherIsBetter: true, ratioCi: pairedRates(run, phase) },
    );
  }
  add(
    'errors (all measured sign-ins)',
    '',
    name => sum(blocksOf(run, name, /./).map(b => b.errors)),
    { decimals: 0 },
  );
  add(
    'sign-ins measured',
    '',
    name => sum(blocksOf(run, name, /./).map(b => b.attempted)),
    {
      decimals: 0,
      higherIsBetter: true,
    },
  );
  add(
    'Bitbucket calls per sign-in (token + API)',
    '',
    name => bitbucketCallsPerSignIn(run, name),
    { decimals: 2 },
  );
  if (run.moduleCost) {
    const cost = run.moduleCost;
    const mean = (values: number[]) => sum(values) / values.length;
    add(
      'module alone: CPU per callback, code exchange + profile',
      'µs',
      name => mean(cost[name]),
      { decimals: 0, ratioCi: pairedRatio(cost.ours, cost.public) },
    );
  }
  add(
    'backend CPU per sign-in at 50 concurrent',
    'ms',
    name => cpuPerSignIn(blocksOf(run, name, /c=50/)),
    { decimals: 2 },
  );

  const memory = (name: BackendName, label: string) =>
    run.tallies[name].memory.find(m => m.label.startsWith(label));
  add('RSS at ready (after GC)', 'MB', name => run.rssAtReady[name] / MB);
  add(
    'RSS before the 5,000 (after warm-up, after GC)',
    'MB',
    name => (memory(name, 'before')?.rss ?? NaN) / MB,
  );
  add(
    'RSS after 5,000 sign-ins (after GC)',
    'MB',
    name => (memory(name, 'after 5,000')?.rss ?? NaN) / MB,
  );
  add(
    'RSS after 10,000 sign-ins (after GC)',
    'MB',
    name => (memory(name, 'after 10,000')?.rss ?? NaN) / MB,
  );
  const growth = (name: BackendName, from: string, to: string) =>
    ((memory(name, to)?.rss ?? NaN) - (memory(name, from)?.rss ?? NaN)) / MB;
  add(
    'RSS growth, first 5,000 (after GC)',
    'MB',
    name => growth(name, 'before', 'after 5,000'),
    { noRatioBelow: 2 },
  );
  add(
    'RSS growth, second 5,000 (after GC)',
    'MB',
    name => growth(name, 'after 5,000', 'after 10,000'),
    { noRatioBelow: 2 },
  );
  const secondWindowTrend = (of: 'rss' | 'heapUsed') => (name: BackendName) => {
    const points = run.tallies[name].memory.filter(
      m => m.signIns >= 5_000 && !m.label.startsWith('before'),
    );
    return slope(points.map(m => [m.signIns / 1000, m[of] / MB]));
  };
  add('RSS trend, second 5,000 (5 points)', 'MB/1k', secondWindowTrend('rss'), {
    decimals: 2,
    noRatioBelow: 0.4,
  });
  add(
    'V8 heap trend, second 5,000 (5 points)',
    'MB/1k',
    secondWindowTrend('heapUsed'),
    { decimals: 2, noRatioBelow: 0.4 },
  );
  add(
    'V8 heap used after 10,000 (after GC)',
    'MB',
    name => (memory(name, 'after 10,000')?.heapUsed ?? NaN) / MB,
  );
  add('peak RSS (VmHWM)', 'MB', name => run.peakRss[name] / MB);

  const row = (metric: string) => rows.find(r => r.metric.startsWith(metric))!;
  const p50Slow = row(`callback p50, Bitbucket +${SLOW_MS} ms/call`);
  const errors = row('errors');
  const growth2 = row('RSS growth, second 5,000');
  const trend = row('RSS trend, second 5,000');
  const heapTrend = row('V8 heap trend, second 5,000');
  const moduleAlone = rows.find(r => r.metric.startsWith('module alone'));
  // Both backends' RSS after GC creeps by up to about 1 MB per 1,000
  // sign-ins in some runs while their V8 heaps stay flat (allocator
  // high-water marks), and now and then drops by 30 MB. The public backend,
  // run alternately on the same machine, is the control: the allowance grows
  // by its upward drift, never shrinks by its drops.
  const allowedTrend = 1 + Math.max(0, trend.public);
  const allowedGrowth = 5 + Math.max(0, growth2.public);
  // two round trips (token, then user and emails at once) at SLOW_MS each
  const budget = Math.round(1.1 * 2 * SLOW_MS);
  // identical backends measure 0.96-1.02 against each other here: a ratio is
  // judged by whether its 95% interval reaches 1.00, not by its point value
  const notSlower = [1, 10, 50].map(concurrency => {
    const rates = row(`sign-ins/s at ${concurrency} concurrent`);
    return {
      concurrency,
      rates,
      pass: (rates.ratioCi?.high ?? NaN) >= 1,
    };
  });
  const targets: TargetCheck[] = [
    {
      target: `callback p50 with +${SLOW_MS} ms/call at most 10% above the two-round-trip floor (${
        2 * SLOW_MS
      } ms): <= ${budget} ms`,
      measured: `${p50Slow.ours.toFixed(1)} ms (public ${p50Slow.public.toFixed(
        1,
      )} ms)`,
      pass: p50Slow.ours <= budget,
    },
    {
      target:
        "sign-ins/s at 1, 10 and 50 concurrent not measurably slower than public: each ratio's 95% interval reaches 1.00; zero errors",
      measured: `${notSlower
        .map(
          ({ concurrency, rates }) =>
            `${concurrency}: ${(rates.ratio ?? NaN).toFixed(2)} (${formatCi(
              rates.ratioCi,
            )})`,
        )
        .join('; ')}; ${errors.ours} errors`,
      pass: notSlower.every(r => r.pass) && errors.ours === 0,
    },
    {
      target:
        "the module alone: CPU per callback at most 1.5 times the public module's (it makes three calls to their two)",
      measured: moduleAlone
        ? `${(moduleAlone.ratio ?? NaN).toFixed(2)} (${formatCi(
            moduleAlone.ratioCi,
          )})`
        : 'not measured',
      pass: (moduleAlone?.ratio ?? Infinity) <= 1.5,
    },
    {
      target:
        "RSS after GC flat over a second 5,000: growth < 5 MB and slope < 1 MB per 1,000, each plus the public backend's upward drift; V8 heap slope < 0.2 MB per 1,000",
      measured: `ours ${growth2.ours.toFixed(
        1,
      )} MB (allowed ${allowedGrowth.toFixed(1)}), ${trend.ours.toFixed(
        2,
      )} MB/1k (allowed ${allowedTrend.toFixed(
        2,
      )}), V8 heap ${heapTrend.ours.toFixed(
        2,
      )} MB/1k; public ${growth2.public.toFixed(1)} MB, ${trend.public.toFixed(
        2,
      )} MB/1k`,
      pass:
        growth2.ours < allowedGrowth &&
        trend.ours < allowedTrend &&
        heapTrend.ours < 0.2,
    },
  ];

  const measured = run.blocks;
  const seconds = sum(measured.map(b => b.elapsedMs)) / 1000;
  const weighted = (value: (b: BlockRecord) => number) =>
    sum(measured.map(b => value(b) * b.elapsedMs)) / (seconds * 1000);
  const driverPerSignIn =
    sum(measured.map(b => b.driverCpuMs)) / sum(measured.map(b => b.attempted));
  const notes = [
    `total run time ${run.totalSeconds.toFixed(
      0,
    )} s (backends ready after ${run.readySeconds.ours.toFixed(
      1,
    )} s / ${run.readySeconds.public.toFixed(1)} s); ${
      measured.length
    } alternating blocks`,
    `machine: ${run.environment.cpus} cores busy ${weighted(
      b => b.machineBusyCores,
    ).toFixed(2)} on average while measuring, of which ${weighted(
      b => b.foreignCores,
    ).toFixed(
      2,
    )} cores were processes outside the bench; driver + simulator ${driverPerSignIn.toFixed(
      2,
    )} ms CPU per sign-in`,
    `public module ${run.environment.publicModuleVersion}, plugin-auth-backend ${run.environment.authBackendVersion}, Node ${run.environment.node}`,
  ];
  return {
    title:
      'Bitbucket sign-in: ours vs @backstage/plugin-auth-backend-module-bitbucket-provider',
    rows,
    targets,
    notes,
  };
}

/** e.g. `0.97-1.04 (95%, 10 pairs)` */
function formatCi(ci: ReportRow['ratioCi']) {
  return ci && Number.isFinite(ci.low)
    ? `${ci.low.toFixed(2)}-${ci.high.toFixed(2)} (95%, ${ci.pairs} pairs)`
    : 'n/a';
}

function format(value: number, decimals: number) {
  return Number.isFinite(value) ? value.toFixed(decimals) : 'n/a';
}

/** A row of a two-column comparison table: both values, their ratio and its 95% interval */
export interface ComparisonRow {
  metric: string;
  unit: string;
  values: [number, number];
  decimals: number;
  ratio: number | null;
  ci?: { low: number; high: number };
}

/**
 * The header, a rule and one line per row: the metric column as wide as the
 * longest metric, then the two values, the ratio and its interval, each
 * right-aligned in `columnWidth` characters.
 */
export function comparisonTable(
  header: [string, string, string, string],
  rows: ComparisonRow[],
  columnWidth: number,
): string[] {
  const width = Math.max(...rows.map(r => r.metric.length + r.unit.length + 3));
  const line = (cells: string[]) =>
    `${cells[0].padEnd(width)}  ${cells
      .slice(1)
      .map(c => c.padStart(columnWidth))
      .join('  ')}`;
  return [
    line(['', ...header]),
    '-'.repeat(width + 4 * (columnWidth + 2)),
    ...rows.map(row =>
      line([
        `${row.metric}${row.unit ? ` (${row.unit})` : ''}`,
        format(row.values[0], row.decimals),
        format(row.values[1], row.decimals),
        row.ratio === null ? 'n/a' : row.ratio.toFixed(2),
        row.ci && Number.isFinite(row.ci.low)
          ? `${row.ci.low.toFixed(2)}-${row.ci.high.toFixed(2)}`
          : '',
      ]),
    ),
  ];
}

export function printReport(report: Report) {
  const out: string[] = [];
  out.push('', report.title, '');
  out.push(
    ...comparisonTable(
      ['ours', 'public', 'ours/pub', '95% CI'],
      report.rows.map(row => ({
        ...row,
        values: [row.ours, row.public],
        ci: row.ratioCi,
      })),
      9,
    ),
  );
  out.push('', 'Targets (ours):');
  for (const t of report.targets) {
    out.push(`  ${t.pass ? 'PASS' : 'FAIL'}  ${t.target}: ${t.measured}`);
  }
  out.push('');
  for (const note of report.notes) {
    out.push(`  ${note}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

/** Token and API calls among the simulator's request counts: all but the consent page */
export function bitbucketApiCalls(counts: Record<string, number>): number {
  return sum(
    Object.entries(counts)
      .filter(([pathname]) => pathname !== CONSENT_PATH)
      .map(([, count]) => count),
  );
}

/** Token and API calls per sign-in: 3 for ours (token, user, emails), 2 for the public module */
export function bitbucketCallsPerSignIn(run: RunRecord, name: BackendName) {
  const tally = run.tallies[name];
  return bitbucketApiCalls(tally.bitbucketCalls) / tally.callsCountedSignIns;
}
