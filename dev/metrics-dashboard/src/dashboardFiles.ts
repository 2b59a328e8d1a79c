import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

/** docs/dashboards' Grafana dashboard and alert rules, and every PromQL expression in them */
export function readDashboardFiles(repoRoot: string) {
  const read = (file: string) =>
    fs.readFileSync(path.join(repoRoot, 'docs/dashboards', file), 'utf8');
  const dashboard = JSON.parse(read('bitbucket-signin.json'));
  const alerts = parse(read('alerts.yaml'));
  const expressions: string[] = [
    ...dashboard.panels.flatMap((p: any) => p.targets.map((t: any) => t.expr)),
    ...alerts.groups.flatMap((g: any) => g.rules.map((r: any) => r.expr)),
  ];
  return { dashboard, alerts, expressions };
}

/**
 * The metric names a PromQL expression reads: what is left once strings,
 * label matchers, ranges, grouping clauses, operators and calls are removed
 */
export function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|\{[^}]*\}|\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_(left|right))\s*\([^)]*\)/g, ' ')
    .replace(/\b(and|or|unless|bool|offset|group_left|group_right)\b/g, ' ');
  return [...new Set(bare.match(/\b[a-zA-Z_:][\w:]*\b(?!\s*\()/g))];
}

/** The metric names the expressions read that a scrape did not expose */
export function unknownMetrics(expressions: string[], exposed: string[]) {
  const names = new Set(expressions.flatMap(metricNamesIn));
  return [...names].filter(name => !exposed.includes(name));
}
