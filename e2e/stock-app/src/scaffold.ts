import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { AppName, CheckRun, stepOf } from './docSteps';
import { run } from './processes';

const read = (file: string) => fs.readFileSync(file, 'utf8');

/**
 * Backstage 1.55 as create-app made it while 1.55 was the newest release:
 * installed today, its caret ranges pull in the next release (the install
 * doc's step 2). Yarn's age gate leaves out what was published since that
 * began: since the next minor of the template's @backstage/backend-defaults.
 */
function asReleased(appDir: string) {
  const name = '@backstage/backend-defaults';
  const backend = JSON.parse(read(`${appDir}/packages/backend/package.json`));
  const [major, minor] = backend.dependencies[name].slice(1).split('.');
  const view = execFileSync('npm', ['view', name, 'time', '--json']);
  const next = JSON.parse(String(view))[`${major}.${Number(minor) + 1}.0`];
  const cutoff = Date.parse(next) - 3_600_000;
  const rc = YAML.parseDocument(read(`${appDir}/.yarnrc.yml`));
  rc.delete('npmPreapprovedPackages'); // it exempts @backstage/* from the gate
  rc.set('npmMinimalAgeGate', `${Math.ceil((Date.now() - cutoff) / 60_000)}m`);
  fs.writeFileSync(`${appDir}/.yarnrc.yml`, rc.toString());
  console.log(`as released: nothing published after ${next}, less an hour`);
}

/** What an install leaves, to take over: node_modules, and Yarn's record of the builds */
const INSTALLED =
  '{node_modules,packages/*/node_modules,.yarn/install-state.gz}';

/**
 * A stock app in `tmp/<app>`. The `new` app runs the install doc's create-app
 * block as written (it installs and type-checks); the others are made without
 * installing, take over the previous app's node_modules (Yarn then links only
 * what differs; the resolution is their own), and install.
 */
export async function scaffold(app: AppName, c: CheckRun, previous?: string) {
  const dir = path.join(c.tmp, app);
  fs.mkdirSync(dir);
  const createApp = stepOf(c.steps, 'create-app');
  const spec = /@backstage\/create-app@\S+/.exec(createApp);
  const legacy = app === 'legacy' ? '--legacy' : '';
  const npx = `npx ${spec} --skip-install --path app ${legacy}`;
  await run(app === 'new' ? createApp : `BACKSTAGE_APP_NAME=app ${npx}`, dir);
  const appDir = path.join(dir, fs.readdirSync(dir)[0]);
  if (app === '1.55') asReleased(appDir);
  if (app === 'new') return appDir;
  for (const rel of previous ? fs.globSync(INSTALLED, { cwd: previous }) : []) {
    fs.renameSync(`${previous}/${rel}`, `${appDir}/${rel}`);
  }
  await run('yarn install', appDir);
  return appDir;
}
