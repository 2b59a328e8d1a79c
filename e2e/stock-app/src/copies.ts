import fs from 'node:fs';
import path from 'node:path';

/** A second copy of one of these splits API refs, React contexts or extension points */
export const SHARED = [
  '@backstage/backend-plugin-api',
  '@backstage/plugin-auth-node',
  '@backstage/plugin-catalog-node',
  '@backstage/core-plugin-api',
  '@backstage/frontend-plugin-api',
  '@backstage/plugin-app-react',
  'react',
];
/** Of those, what only the frontend package's `/alpha` uses: the new frontend system */
export const NEW_FRONTEND_ONLY = [
  '@backstage/frontend-plugin-api',
  '@backstage/plugin-app-react',
];

/** What the install doc's step 2 says a fresh create-app 0.9.2 app holds two copies of */
export const SPLIT_IN_A_FRESH_APP = [
  '@backstage/frontend-plugin-api',
  '@backstage/plugin-app-react',
  '@backstage/plugin-catalog-node',
];

/** Every installed copy of each package, e.g. `1.0.0 (node_modules/x/node_modules/y)` */
export function copiesOf(appDir: string, names: string[]) {
  const pattern = `**/node_modules/{${names.join(',')}}/package.json`;
  const files = fs.globSync(pattern, { cwd: appDir });
  const found = new Map(names.map(name => [name, [] as string[]]));
  const real = new Set(files.map(f => fs.realpathSync(`${appDir}/${f}`)));
  for (const file of real) {
    const { name, version } = JSON.parse(fs.readFileSync(file, 'utf8'));
    const where = path.relative(appDir, path.dirname(file));
    found.get(name)?.push(`${version} (${where})`);
  }
  return found;
}
