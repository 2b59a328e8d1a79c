import fs from 'node:fs';
import path from 'node:path';
import { Tarball } from './pack';
import { repoRoot } from './processes';

/** The apps: `new` and `legacy` on the newest release, `1.55` as released */
export const APPS = ['new', 'legacy', '1.55'] as const;
export type AppName = (typeof APPS)[number];

/**
 * A code block of docs/install.md after `<!-- stock-app: KIND [TARGET] [apps=…] -->`.
 * `create-app`, `run`: shell commands, run as written; `patch`: a diff for
 * `git apply`; `file`: all of TARGET; `simulator`, `start`: commands that
 * keep running. Only in the apps named, if any are.
 */
export interface DocStep {
  kind: 'create-app' | 'run' | 'patch' | 'file' | 'simulator' | 'start';
  target?: string;
  apps: readonly AppName[];
  body: string;
  /** The command, or the diff's `+++ b/<file>` line */
  title: string;
}

/** What the apps of one run share: a temporary directory, the steps, the tarballs */
type Packing = Promise<Tarball[] | undefined>;
export type CheckRun = { tmp: string; steps: DocStep[]; packing: Packing };

const MARKED =
  /<!-- stock-app: ([\w-]+)(?: ([^\s=]+))?(?: apps=([\w.,]+))? -->\n+```\w*\n([\s\S]*?\n)```/g;

export function readDocSteps(): DocStep[] {
  const text = fs.readFileSync(path.join(repoRoot, 'docs/install.md'), 'utf8');
  return [...text.matchAll(MARKED)].map(([, kind, target, apps, body]) => ({
    kind: kind as DocStep['kind'],
    target,
    apps: (apps?.split(',') as AppName[]) ?? APPS,
    body,
    title:
      { patch: body.split('\n')[1], file: `write ${target}` }[kind] ??
      `$ ${body.split('\n')[0]}`,
  }));
}

export function stepOf(steps: DocStep[], kind: DocStep['kind']): string {
  const step = steps.find(s => s.kind === kind);
  if (!step) throw new Error(`docs/install.md has no ${kind} block`);
  return step.body;
}
