import { BackendFeature } from '@backstage/backend-plugin-api';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../../..');

/**
 * The first TypeScript block under a heading of the docs (README.md and
 * docs/*.md), loaded as written: an admin copies exactly this.
 */
export function loadDocRecipe(heading: string): {
  feature: BackendFeature;
  file: string;
  remove(): void;
} {
  const pages = [
    path.join(ROOT, 'README.md'),
    ...fs
      .readdirSync(path.join(ROOT, 'docs'))
      .filter(name => name.endsWith('.md'))
      .map(name => path.join(ROOT, 'docs', name)),
  ];
  for (const page of pages) {
    const text = fs.readFileSync(page, 'utf8');
    const at = text.indexOf(`# ${heading}`);
    if (at < 0) {
      continue;
    }
    const code = /```ts\n([\s\S]*?)\n```/.exec(text.slice(at))?.[1];
    if (!code) {
      throw new Error(`No ts block under "${heading}" in ${page}`);
    }
    // inside the package, so its imports resolve as in an app
    const dir = fs.mkdtempSync(path.join(__dirname, '..', '..', '.recipe-'));
    const file = path.join(dir, 'recipe.ts');
    fs.writeFileSync(file, code);
    return {
      feature: require(file).default,
      file: path.relative(ROOT, page),
      remove: () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  throw new Error(`No heading "${heading}" in README.md or docs/`);
}
