import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot, run } from './processes';
import { check } from './report';

/** A package this repository publishes, packed as `yarn pack` publishes it */
export type Tarball = { name: string; file: string };

/**
 * Builds and packs every package here that is not private (the plugins, their
 * shared client, the simulator), once for all the apps. `yarn tsc` first: the
 * builds bundle the declarations it writes.
 */
export async function packAll(packDir: string): Promise<Tarball[]> {
  await run('yarn tsc', repoRoot, process.env).catch(console.error);
  const tarballs: Tarball[] = [];
  const cwd = repoRoot;
  for (const dir of fs.globSync('{plugins,packages}/*/package.json', { cwd })) {
    const { name, private: unpublished } = JSON.parse(
      fs.readFileSync(path.join(repoRoot, dir), 'utf8'),
    );
    if (unpublished) continue;
    const file = path.join(packDir, `${path.basename(path.dirname(dir))}.tgz`);
    const pack = `yarn workspace ${name} build && yarn workspace ${name} pack --out ${file}`;
    await run(pack, repoRoot, process.env);
    const entries = execFileSync('tar', ['tzf', file], { encoding: 'utf8' });
    const dist = entries.includes('package/dist/');
    const src = entries.includes('package/src/');
    const why = `${dist ? '' : 'no dist/; '}${src ? 'ships src/' : ''}`;
    check(`tarball ${name}`, dist && !src, why);
    tarballs.push({ name, file });
  }
  return tarballs;
}
