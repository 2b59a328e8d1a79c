/*
 * `yarn docs:metrics-dashboard`: records the demo backend's metrics through a
 * scripted run against the Bitbucket simulator (docs/dashboards/recording.json),
 * checks that the dashboard and the alert rules read only metrics it exposed,
 * and renders the dashboard to docs/screenshots/metrics-dashboard.png.
 * `--render-only` renders the committed recording again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { format } from 'prettier';
import { readDashboardFiles, unknownMetrics } from './dashboardFiles';
import { record, Recording } from './record';
import { dashboardHtml, screenshot } from './render';

// run from source by node, never bundled
// eslint-disable-next-line no-restricted-syntax
const repoRoot = path.resolve(__dirname, '../../..');
const recordingFile = path.join(repoRoot, 'docs/dashboards/recording.json');

async function main() {
  const { dashboard, expressions } = readDashboardFiles(repoRoot);
  let rec: Recording;
  if (process.argv.includes('--render-only')) {
    rec = JSON.parse(fs.readFileSync(recordingFile, 'utf8'));
  } else {
    rec = await record(repoRoot);
    // as `yarn prettier:check` wants it
    fs.writeFileSync(
      recordingFile,
      format(JSON.stringify(rec), { parser: 'json' }),
    );
  }
  const unknown = unknownMetrics(expressions, rec.exposedNames);
  if (unknown.length) throw new Error(`Not exposed: ${unknown.join(', ')}`);
  const html = dashboardHtml(rec, dashboard.title, dashboard.panels);
  const png = path.join(repoRoot, 'docs/screenshots/metrics-dashboard.png');
  await screenshot(html, png);
}

main().catch(error => {
  console.error(error);
  process.exitCode = 1;
});
