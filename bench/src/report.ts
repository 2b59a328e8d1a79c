/**
 * The table `yarn bench` prints and writes as JSON: a column per variant,
 * ours/public (and the 95% interval of the ABBA rounds' ratios, where they
 * pair), then the verdicts and what else ran on the machine.
 */
import * as m from './measures';
import { pairedRatio, sum } from './stats';
import {
  AFTER_WARM_UP,
  END_OF_FIRST_WINDOW,
  END_OF_SECOND_WINDOW,
  RunRecord,
} from './types';
import { checkTargets, formatTargets, TargetCheck } from './verdicts';
import { backendNames, VariantName } from './variants';

type Ratio = { ratio: number; low?: number; high?: number };

export interface ReportRow {
  metric: string;
  /** Only the variants the row applies to */
  values: Partial<Record<VariantName, number>>;
  /** ours/public with its 95% interval, where it means something */
  ratio: Ratio;
  decimals: number;
}

export interface Report {
  rows: ReportRow[];
  targets: TargetCheck[];
  notes: string[];
}

const columns: VariantName[] = ['ours', 'ours+acme', 'public'];

type Values = Pick<ReportRow, 'values' | 'ratio'>;
type Measure<V> = (run: RunRecord, variant: V) => number;

function rows(run: RunRecord): ReportRow[] {
  const none = { ratio: NaN };
  /** The row's values for `variants`, ours/public and, if given, its paired interval */
  const over =
    <V extends VariantName>(variants: V[]) =>
    (measure: Measure<V>, interval?: Ratio): Values => {
      const values = Object.fromEntries(
        variants.map(v => [v, measure(run, v)]),
      );
      const ratio = { ...interval, ratio: values.ours / values.public };
      return { values, ratio: interval === none ? none : ratio };
    };
  const all = over(columns);
  const both = over(backendNames);
  const rss = (label: string, of: 'rss' | 'peakRss' = 'rss') =>
    both((r, b) => (m.memoryAt(r, b, label)?.[of] ?? NaN) / m.MB);
  const trend = (of: 'rss' | 'heapUsed') =>
    both((r, b) => m.secondWindowTrend(r, b, of), none);
  const cost = run.moduleCost ?? { ours: [NaN], public: [NaN] };
  const table: Array<[string, number, Values]> = [
    ...run.plan.latency.flatMap(({ addedMs: ms }) =>
      [50, 95, 99].map((p): [string, number, Values] => [
        `callback p${p}, Bitbucket +${ms} ms/call (ms)`,
        1,
        all((r, v) => m.callbackPercentile(r, v, ms, p)),
      ]),
    ),
    [
      'backend CPU per sign-in at 50 concurrent (ms)',
      2,
      both(m.cpuPerSignIn, m.cpuRatio(run)),
    ],
    ['errors', 0, all(m.errorsOf, none)],
    ['sign-ins measured', 0, all(m.signInsOf, none)],
    ['Bitbucket calls per sign-in (token + API)', 2, all(m.callsPerSignIn)],
    [
      'information: sign-ins/s at 50 concurrent',
      1,
      both(m.throughputAt50, m.throughputRatio(run)),
    ],
    [
      'information: module alone, CPU per callback (µs)',
      0,
      both(
        (_, b) => sum(cost[b]) / cost[b].length,
        pairedRatio(cost.ours, cost.public),
      ),
    ],
    ['RSS after GC after the warm-up (MB)', 1, rss(AFTER_WARM_UP)],
    ['RSS after GC, end of window 1 (MB)', 1, rss(END_OF_FIRST_WINDOW)],
    ['RSS after GC, end of window 2 (MB)', 1, rss(END_OF_SECOND_WINDOW)],
    ['RSS growth, window 2 (MB)', 1, both(m.secondWindowGrowth, none)],
    ['RSS trend, window 2 (MB/1k)', 2, trend('rss')],
    ['V8 heap trend, window 2 (MB/1k)', 2, trend('heapUsed')],
    ['peak RSS (VmHWM) (MB)', 1, rss(END_OF_SECOND_WINDOW, 'peakRss')],
  ];
  return table.map(([metric, decimals, row]) => ({ metric, decimals, ...row }));
}

function notes(run: RunRecord): string[] {
  const { plan, environment: env, machine } = run;
  const windows = plan.window.toLocaleString('en-US');
  const [took, budget] = [run.totalSeconds, plan.budgetMs / 1000];
  const ran = `${took.toFixed(0)} s of a ${budget} s budget`;
  const ready = `${run.readySeconds.ours} / ${run.readySeconds.public} s`;
  const busy = machine.busyCores.toFixed(2);
  const foreign = machine.foreignCores.toFixed(2);
  return [
    `${plan.name} plan: windows of ${windows} sign-ins per backend; ${ran}; ready after ${ready}`,
    `machine: ${env.cpus} cores, ${busy} busy while measuring, ${foreign} of them processes outside the bench`,
    `ours+acme: ours with workspaces: [acme]; public module ${env.publicModule}, plugin-auth-backend ${env.authBackend}, Node ${env.node}`,
  ];
}

export function buildReport(run: RunRecord): Report {
  return { rows: rows(run), targets: checkTargets(run), notes: notes(run) };
}

function cell(value: number | undefined, decimals: number) {
  if (value === undefined) return '';
  return Number.isFinite(value) ? value.toFixed(decimals) : 'n/a';
}

export function printReport(report: Report) {
  const width = Math.max(...report.rows.map(r => r.metric.length));
  const line = ([metric, ...cells]: string[]) =>
    metric.padEnd(width) + cells.map(c => c.padStart(11)).join('');
  const interval = ({ low = NaN, high = NaN } = {}) =>
    Number.isFinite(low) ? `${low.toFixed(2)}-${high.toFixed(2)}` : '';
  const out = [
    '',
    line(['', ...columns, 'ours/pub', '95% CI']),
    '-'.repeat(width + 11 * (columns.length + 2)),
    ...report.rows.map(row =>
      line([
        row.metric,
        ...columns.map(v => cell(row.values[v], row.decimals)),
        cell(row.ratio.ratio, 2),
        interval(row.ratio),
      ]),
    ),
    '',
    'Targets (ours):',
    ...formatTargets(report.targets),
    '',
    ...report.notes.map(note => `  ${note}`),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}
