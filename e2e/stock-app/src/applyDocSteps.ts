import fs from 'node:fs';
import path from 'node:path';
import { DocStep } from './docSteps';
import { Tarball } from './pack';
import { appEnv, run } from './processes';

async function latestOf(name: string): Promise<string> {
  const registry = process.env.YARN_NPM_REGISTRY_SERVER;
  const url = `${registry}/${name.replace('/', '%2f')}`;
  const headers = { accept: 'application/vnd.npm.install-v1+json' };
  const res = await fetch(url, { headers });
  return (await res.json())['dist-tags'].latest;
}

/**
 * `versions:bump` reads the release manifest from versions.backstage.io, which
 * this machine cannot reach, or from BACKSTAGE_MANIFEST_FILE: here, the
 * registry's `latest` of every `@backstage/*` package the app depends on.
 */
async function newestRelease(appDir: string) {
  const names = ['.', 'packages/app', 'packages/backend']
    .map(dir => path.join(appDir, dir, 'package.json'))
    .map(file => JSON.parse(fs.readFileSync(file, 'utf8')))
    .flatMap(pkg =>
      Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }),
    )
    .filter(name => name.startsWith('@backstage/'));
  const packages = await Promise.all(
    [...new Set(names)].map(async name => ({
      name,
      version: await latestOf(name),
    })),
  );
  const file = path.join(appDir, '..', 'newest-release.json');
  fs.writeFileSync(
    file,
    JSON.stringify({ releaseVersion: 'newest', packages }),
  );
  return { BACKSTAGE_MANIFEST_FILE: file };
}

/**
 * A `run`, `patch` or `file` step of the install doc, as written. The one
 * change: `yarn add` of a package this repository publishes takes its tarball.
 */
export async function applyDocStep(dir: string, step: DocStep, t: Tarball[]) {
  if (step.kind === 'run') {
    const script = t.reduce((text, { name, file }) => {
      const added = new RegExp(`(?<= add .*)${name}(?=\\s)`, 'g');
      return text.replace(added, `${name}@file:${file}`);
    }, step.body);
    const bump = step.body.includes('versions:bump');
    const env = appEnv(bump ? await newestRelease(dir) : {});
    await run(script, dir, env);
  } else if (step.kind === 'patch') {
    fs.writeFileSync(`${dir}/../step.diff`, step.body);
    await run('git apply --verbose ../step.diff', dir);
  } else if (step.kind === 'file') {
    fs.writeFileSync(`${dir}/${step.target}`, step.body);
  }
  return true;
}
