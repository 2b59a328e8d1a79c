/*
 * `yarn test:stock-app`: docs/install.md followed as written in fresh
 * Backstage apps, with the packed packages, up to a sign-in in Chromium.
 * See e2e/stock-app/README.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyDocStep, useTarballs } from './applyDocSteps';
import * as copies from './copies';
import { AppName, APPS, CheckRun, readDocSteps } from './docSteps';
import { packAll } from './pack';
import { check, step, summary, total } from './report';
import { scaffold } from './scaffold';
import { signInWithChromium } from './signIn';
import { DEMO_USER, startApp } from './startApp';

/** The fresh app's split, as the install doc's step 2 describes it */
function checkSplit(appDir: string) {
  const found = copies.copiesOf(appDir, copies.SPLIT_IN_A_FRESH_APP);
  const lines = [...found].map(([name, c]) => `${name}: ${c.join(', ')}`);
  const split = [...found.values()].every(c => c.length > 1);
  const title = 'new: as the install doc says, the fresh app has two copies of';
  check(title, split, `\n  ${lines.join('\n  ')}`);
}

async function runApp(app: AppName, c: CheckRun, previous?: string) {
  const create = () => scaffold(app, c, previous);
  const appDir = await step(`${app}: create-app`, create);
  const tarballs = await c.packing; // packed while the first app was made
  if (!appDir || !tarballs) return appDir;
  useTarballs(appDir, tarballs);
  if (app === 'new') checkSplit(appDir);
  for (const docStep of c.steps.filter(s => s.apps.includes(app))) {
    if (!['run', 'patch', 'file'].includes(docStep.kind)) continue;
    const apply = () => applyDocStep(appDir, docStep, tarballs);
    if (!(await step(`${app}: ${docStep.title}`, apply))) return appDir;
  }
  const legacy = (name: string) => copies.NEW_FRONTEND_ONLY.includes(name);
  const shared = copies.SHARED.filter(n => app !== 'legacy' || !legacy(n));
  for (const [name, found] of copies.copiesOf(appDir, shared)) {
    const detail = found.join(', ') || 'none';
    check(`${app}: one copy of ${name}`, found.length === 1, detail);
  }
  const running = await step(
    `${app}: the simulator and yarn start; ${DEMO_USER} signs in over HTTP`,
    () => startApp(appDir, c.steps, tarballs),
  );
  if (!running) return appDir;
  const title = `${app}: ${DEMO_USER} signs in with Chromium`;
  const signedIn = await step(title, () => signInWithChromium(app, running));
  await running.stop();
  // Its steps added up, not the packing: an admin installs published packages
  const from = previous && path.basename(path.dirname(previous));
  const how = from
    ? `, on ${from}'s node_modules, not a fresh install`
    : ` (target 600 s): a new admin's full install; create-app overlapped the packing`;
  if (signedIn) total(`${app}: `, `${app}: create-app to sign-in${how}`);
  return appDir;
}

async function main() {
  process.once('SIGINT', () => process.exit(130)); // 'exit' stops the rest
  const apps = (process.env.STOCK_APP_APPS?.split(',') ?? APPS) as AppName[];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stock-app-'));
  console.log(
    `stock-app check: ${apps.join(', ')}; ${process.version}; ${tmp}`,
  );
  const steps = readDocSteps();
  fs.mkdirSync(`${tmp}/packs`);
  const pack = () => packAll(`${tmp}/packs`);
  const c = { tmp, steps, packing: step('pack the published packages', pack) };
  let previous: string | undefined;
  for (const app of apps)
    previous = (await runApp(app, c, previous)) ?? previous;
  if (process.env.KEEP_STOCK_APP === '1') console.log(`kept ${tmp}`);
  else fs.rmSync(tmp, { recursive: true, force: true });
}

main()
  .catch(error => check('stock-app check', false, error.stack))
  .finally(() => {
    process.exitCode = summary() ? 1 : 0;
  });
