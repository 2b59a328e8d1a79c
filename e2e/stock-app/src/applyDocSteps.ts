import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { DocStep } from './docSteps';
import { Tarball } from './pack';
import { appEnv, run } from './processes';

/** The registry's `latest` of a package, from the registry npm is configured with */
async function latestOf(registry: string, name: string): Promise<string> {
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
  const manifests = '{package.json,packages/*/package.json}';
  const deps = fs
    .globSync(manifests, { cwd: appDir })
    .map(file => JSON.parse(fs.readFileSync(`${appDir}/${file}`, 'utf8')))
    .flatMap(pkg =>
      Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }),
    );
  const names = [...new Set(deps)].filter(n => n.startsWith('@backstage/'));
  const npm = execFileSync('npm', ['config', 'get', 'registry'], {
    env: appEnv(),
  });
  const registry = String(npm).trim().replace(/\/$/, '');
  const versions = await Promise.all(names.map(n => latestOf(registry, n)));
  const packages = names.map((name, i) => ({ name, version: versions[i] }));
  const file = `${appDir}/../newest-release.json`;
  const manifest = { releaseVersion: 'newest', packages };
  fs.writeFileSync(file, JSON.stringify(manifest));
  return { BACKSTAGE_MANIFEST_FILE: file };
}

/** What this repository publishes but has not published yet: the tarballs */
export function useTarballs(appDir: string, tarballs: Tarball[]) {
  const pkg = JSON.parse(fs.readFileSync(`${appDir}/package.json`, 'utf8'));
  tarballs.forEach(t => (pkg.resolutions[t.name] = `file:${t.file}`));
  fs.writeFileSync(`${appDir}/package.json`, JSON.stringify(pkg, null, 2));
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
