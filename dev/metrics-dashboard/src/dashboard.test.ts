import fs from 'node:fs';
import path from 'node:path';
import {
  metricNamesIn,
  readDashboardFiles,
  unknownMetrics,
} from './dashboardFiles';
import { parseExposition } from './exposition';
import { evaluatePanels, quantile } from './panels';
import type { Recording } from './record';

const repoRoot = path.resolve(__dirname, '../../..');
const recording: Recording = JSON.parse(
  fs.readFileSync(
    path.join(repoRoot, 'docs/dashboards/recording.json'),
    'utf8',
  ),
);
const { dashboard, alerts, expressions } = readDashboardFiles(repoRoot);

describe('parseExposition', () => {
  it('reads label values holding braces and escapes, and skips comments', () => {
    const samples = parseExposition(
      [
        '# HELP bitbucket_request_duration Duration of requests to Bitbucket Cloud',
        '# TYPE bitbucket_request_duration histogram',
        'bitbucket_request_duration_bucket{endpoint="/workspaces/{workspace}/members",status_class="2xx",le="+Inf"} 3',
        'target_info{note="a \\"quoted\\" word"} 1',
        '',
        'up 1.5',
      ].join('\n'),
    );
    expect(samples).toEqual([
      {
        name: 'bitbucket_request_duration_bucket',
        labels: {
          endpoint: '/workspaces/{workspace}/members',
          status_class: '2xx',
          le: '+Inf',
        },
        value: 3,
      },
      { name: 'target_info', labels: { note: 'a "quoted" word' }, value: 1 },
      { name: 'up', labels: {}, value: 1.5 },
    ]);
  });
});

describe('metricNamesIn', () => {
  it('finds the metrics of an expression, not its functions, labels or keywords', () => {
    expect(
      metricNamesIn(
        '(sum by (reason) (increase(auth_bitbucket_sign_ins_total{reason="x y"}[5m])) or vector(0))' +
          ' / ignoring(reason) group_left sum(rate(auth_bitbucket_refreshes_total[1h] offset 5m))' +
          ' and on() time() - max without (pod) (last_success) > 3 * 60',
      ),
    ).toEqual([
      'auth_bitbucket_sign_ins_total',
      'auth_bitbucket_refreshes_total',
      'last_success',
    ]);
  });
});

describe('quantile', () => {
  it('interpolates within the bucket, as histogram_quantile does', () => {
    const buckets: Array<[number, number]> = [
      [0.1, 50],
      [0.5, 90],
      [1, 100],
      [Infinity, 100],
    ];
    expect(quantile(0.95, buckets)).toBeCloseTo(0.75);
    // in the +Inf bucket: the highest finite bound
    expect(
      quantile(0.95, [
        [1, 10],
        [Infinity, 100],
      ]),
    ).toBe(1);
    expect(
      quantile(0.95, [
        [1, 0],
        [Infinity, 0],
      ]),
    ).toBeNull();
  });
});

describe('docs/dashboards', () => {
  it('has alert rules Prometheus can load: each with a name, an expression, a severity and a summary', () => {
    const rules = alerts.groups.flatMap((g: any) => g.rules);
    for (const rule of rules.filter((r: any) => r.for)) {
      expect(rule.for).toMatch(/^\d+[smh]$/);
    }
    expect(rules.length).toBeGreaterThanOrEqual(5);
    for (const rule of rules) {
      expect(rule).toEqual(
        expect.objectContaining({
          alert: expect.stringMatching(/^[A-Z]\w+$/),
          expr: expect.any(String),
          labels: { severity: expect.stringMatching(/^(warning|critical)$/) },
          annotations: expect.objectContaining({ summary: expect.any(String) }),
        }),
      );
    }
  });

  it('has a Grafana dashboard whose panels all query the Prometheus data source variable', () => {
    const variable = dashboard.templating.list.find(
      (v: any) => v.type === 'datasource',
    );
    expect(variable).toMatchObject({ name: 'datasource', query: 'prometheus' });
    const ids = dashboard.panels.map((p: any) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) {
      for (const source of [panel, ...panel.targets].map(p => p.datasource)) {
        expect(source).toEqual({ type: 'prometheus', uid: '${datasource}' });
      }
    }
  });

  it('reads only metrics that the demo backend exposed in the recorded run', () => {
    for (const expr of expressions) {
      expect(metricNamesIn(expr).length).toBeGreaterThan(0);
    }
    expect(unknownMetrics(expressions, recording.exposedNames)).toEqual([]);
    // the check can fail
    expect(
      unknownMetrics(
        ['rate(auth_bitbucket_sign_in_total[5m])'],
        recording.exposedNames,
      ),
    ).toEqual(['auth_bitbucket_sign_in_total']);
  });

  it('renders every panel of the dashboard from the recording', () => {
    const evaluated = evaluatePanels(recording);
    for (const { title } of dashboard.panels) {
      expect(evaluated[title]?.length).toBeGreaterThan(0);
    }
  });
});

describe('the recorded metrics', () => {
  it('carry no user, uuid, email, token or code: only bounded attributes', () => {
    const allowed = ['reason', 'endpoint', 'status_class', 'provider'].concat([
      'outcome',
      'limit',
      'le',
      'otel_scope_name',
    ]);
    const values = recording.series.flatMap(({ labels }) => {
      expect(allowed).toEqual(expect.arrayContaining(Object.keys(labels)));
      return Object.values(labels);
    });
    // the simulator's users (alice-bb), {uuid}s, emails, and token-like strings
    const personal = values.filter(v =>
      /-bb|@|\{[0-9a-f-]{36}\}|^(?=.*\d)[\w-]{20,}$/.test(v),
    );
    expect(personal).toEqual([]);
    expect(values).toContain('/workspaces/{workspace}/members');
  });
});

describe('docs/metrics.md', () => {
  const doc = fs.readFileSync(path.join(repoRoot, 'docs/metrics.md'), 'utf8');

  it('shows the alert rules as they are in alerts.yaml', () => {
    const yaml = fs.readFileSync(
      path.join(repoRoot, 'docs/dashboards/alerts.yaml'),
      'utf8',
    );
    expect(doc).toContain(`\`\`\`yaml\n${yaml}\`\`\``);
  });

  it("shows every panel's query as the dashboard has it", () => {
    for (const panel of dashboard.panels) {
      expect(doc).toContain(`**${panel.title}**`);
      for (const { expr } of panel.targets) expect(doc).toContain(expr);
    }
  });
});
