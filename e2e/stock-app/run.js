#!/usr/bin/env node
/*
 * The packed plugins in a stock Backstage app, signed in to in headless
 * Chromium (`yarn test:stock-app`; see README.md next to this file).
 *
 *  1. builds and packs both plugins (`yarn pack`) and checks the tarballs;
 *  2. scaffolds an app with @backstage/create-app 0.9.2 (Backstage 1.55.0);
 *  3. applies the root README's "Add it to your Backstage app" code blocks,
 *     as written, with the tarballs standing in for the published packages;
 *  4. `yarn install`, `yarn tsc`, `yarn build:backend` (the backend bundle and
 *     the app's production build), then deploys the bundle the way the
 *     template's packages/backend/Dockerfile does and starts it
 *     (`node packages/backend`) next to the local Bitbucket simulator;
 *  5. checks that the app holds one copy of each shared core package;
 *  6. signs in through the app's sign-in page in headless Chromium and checks
 *     the settings page shows who signed in.
 *
 * Plain Node (no build step). Servers listen on 127.0.0.1 only. The last line
 * is `N passed, N failed`; the exit code is 1 when anything failed.
 *
 * Environment:
 *   KEEP_STOCK_APP=1          keep the temporary directory (the app, the deployed bundle)
 *   STOCK_APP_VERBOSE=1       stream every command's output
 *   STOCK_APP_TARBALL_DIR     use the tarballs in this directory instead of building and packing
 *   STOCK_APP_LATEST=1        do not pin the app to the release create-app bundles (see pinRelease)
 *   E2E_CHROMIUM_PATH         Chromium binary (default /usr/bin/chromium)
 */
'use strict';

const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const repoRoot = path.resolve(__dirname, '../..');
const README = path.join(repoRoot, 'README.md');
const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'stock-app');
const CREATE_APP = '@backstage/create-app@0.9.2';
const APP_NAME = 'stock-app';
const VERBOSE = process.env.STOCK_APP_VERBOSE === '1';
const KEEP = process.env.KEEP_STOCK_APP === '1';

const PLUGINS = [
  {
    name: '@bitbucket-signin/plugin-auth-backend-module-bitbucket-provider',
    dir: 'plugins/auth-backend-module-bitbucket-provider',
    tarball: 'auth-backend-module-bitbucket-provider.tgz',
  },
  {
    name: '@bitbucket-signin/plugin-auth-bitbucket-react',
    dir: 'plugins/auth-bitbucket-react',
    tarball: 'auth-bitbucket-react.tgz',
  },
];
/**
 * Published too, but not part of the install steps: packed and checked like
 * the others, and its built entry point loaded, so what users get is tried.
 */
const PACKED_ONLY = [
  {
    name: '@bitbucket-signin/plugin-catalog-backend-module-bitbucket-cloud-org',
    dir: 'plugins/catalog-backend-module-bitbucket-cloud-org',
    tarball: 'catalog-backend-module-bitbucket-cloud-org.tgz',
  },
];
const PUBLIC_MODULE =
  '@backstage/plugin-auth-backend-module-bitbucket-provider';
/** Packages the app and the plugins must share: a second copy breaks refs, contexts and extension points */
const SHARED = [
  '@backstage/plugin-auth-node',
  '@backstage/backend-plugin-api',
  '@backstage/core-plugin-api',
  '@backstage/frontend-plugin-api',
  'react',
];
/** The README's code blocks this test applies, by the target named in their marker */
const README_STEPS = [
  'shell',
  'packages/backend/src/index.ts',
  'packages/app/src/App.tsx',
  'app-config.yaml',
  'examples/org.yaml',
];

// ---------------------------------------------------------------- reporting

const checks = [];
const timings = [];
const started = Date.now();

function check(name, ok, detail) {
  checks.push({ name, ok, detail });
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}${detail ? `: ${detail}` : ''}`);
  return ok;
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** Runs one step with a header and its wall time; a throw is returned as the error */
async function step(title, body) {
  const t0 = Date.now();
  console.log(`\n=== ${title} (at ${seconds(t0 - started)})`);
  try {
    return await body();
  } catch (error) {
    console.log(`!!! ${title}: ${error.message}`);
    return undefined;
  } finally {
    const ms = Date.now() - t0;
    timings.push({ title, ms });
    console.log(`--- ${title}: ${seconds(ms)}`);
  }
}

function tail(text, lines = 60) {
  return text.split('\n').slice(-lines).join('\n');
}

/** The backend log's last lines, without the request log's */
function backendTail(log, lines = 30) {
  return tail(
    log
      .split('\n')
      .filter(l => !l.includes('"type":"incomingRequest"'))
      .join('\n'),
    lines,
  );
}

// ---------------------------------------------------------------- processes

const children = new Set();

/**
 * Yarn puts its own shims (`BERRY_BIN_FOLDER`) and the project's bins first on
 * PATH when it runs a script, and sets project variables. Commands in the
 * stock app must see neither: the app has its own Yarn release.
 */
function cleanEnv(extra = {}) {
  const env = { ...process.env };
  const drop = [
    env.BERRY_BIN_FOLDER,
    path.join(repoRoot, 'node_modules', '.bin'),
  ].filter(Boolean);
  env.PATH = (env.PATH || '')
    .split(path.delimiter)
    .filter(
      p => p && !drop.includes(p) && !p.startsWith(`${repoRoot}${path.sep}`),
    )
    .join(path.delimiter);
  for (const key of Object.keys(env)) {
    if (
      /^npm_(package_|lifecycle_)/.test(key) ||
      [
        'BERRY_BIN_FOLDER',
        'PROJECT_CWD',
        'INIT_CWD',
        'npm_execpath',
        'npm_node_execpath',
        'npm_config_user_agent',
        'YARN_IGNORE_PATH',
        'NODE_OPTIONS',
      ].includes(key)
    ) {
      delete env[key];
    }
  }
  return { ...env, ...extra };
}

/** Runs a command; resolves with its output, rejects (with the output's tail) on failure or timeout */
function run(
  command,
  args,
  { cwd, env = cleanEnv(), timeoutMs = 300_000 } = {},
) {
  const label = `${command} ${args.join(' ')}`;
  console.log(`$ ${label}${cwd ? `   (in ${cwd})` : ''}`);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    children.add(child);
    let output = '';
    const onData = chunk => {
      output += chunk;
      if (VERBOSE) process.stdout.write(chunk);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killTree(child);
    }, timeoutMs);
    child.once('error', error => {
      clearTimeout(timer);
      children.delete(child);
      reject(new Error(`${label}: ${error.message}`));
    });
    const t0 = Date.now();
    child.once('close', code => {
      clearTimeout(timer);
      children.delete(child);
      console.log(`  (${seconds(Date.now() - t0)}, exit code ${code})`);
      if (code === 0 && !timedOut) {
        resolve(output);
      } else {
        const why = timedOut
          ? `timed out after ${seconds(timeoutMs)}`
          : `exit code ${code}`;
        const error = new Error(`${label} failed (${why}):\n${tail(output)}`);
        error.output = output;
        reject(error);
      }
    });
  });
}

function killTree(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // gone
    }
  }
}

async function stopChild(child, ms = 10_000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise(resolve => child.once('exit', resolve));
  killTree(child, 'SIGTERM');
  const timer = setTimeout(() => killTree(child, 'SIGKILL'), ms);
  await exited;
  clearTimeout(timer);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/**
 * The registry comes from npm's own configuration, as in .ci/run: the stock
 * app's Yarn (and corepack, which fetches it) would otherwise use their
 * built-in default.
 */
function registryEnv() {
  if (
    process.env.YARN_NPM_REGISTRY_SERVER &&
    process.env.COREPACK_NPM_REGISTRY
  ) {
    return;
  }
  const registry = execFileSync('npm', ['config', 'get', 'registry'], {
    cwd: os.tmpdir(),
    encoding: 'utf8',
  })
    .trim()
    .replace(/\/$/, '');
  process.env.YARN_NPM_REGISTRY_SERVER ||= registry;
  process.env.COREPACK_NPM_REGISTRY ||= registry;
}

// ---------------------------------------------------------------- step 1: tarballs

function tarList(tgz) {
  return execFileSync('tar', ['tzf', tgz], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map(entry => entry.replace(/^package\//, ''));
}

/** Every path a packed package.json points at, from main/module/types/exports/typesVersions/configSchema */
function referencedPaths(pkg) {
  const found = new Set();
  const visit = value => {
    if (typeof value === 'string') {
      if (value.startsWith('./') || /^[\w@-][\w@./-]*\.\w+$/.test(value)) {
        found.add(value.replace(/^\.\//, ''));
      }
    } else if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (value && typeof value === 'object') {
      Object.values(value).forEach(visit);
    }
  };
  for (const key of [
    'main',
    'module',
    'types',
    'typings',
    'browser',
    'configSchema',
  ]) {
    if (typeof pkg[key] === 'string') visit(pkg[key]);
  }
  visit(pkg.exports);
  visit(pkg.typesVersions);
  return [...found];
}

/** Files that use React.createElement (the classic JSX runtime) without importing React */
function classicJsxWithoutReact(dir) {
  const problems = [];
  const walk = d => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const file = path.join(d, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (/\.(m?js|cjs)$/.test(entry.name)) {
        const code = fs.readFileSync(file, 'utf8');
        const usesReact = /\bReact\.(createElement|Fragment)\b/.test(code);
        const importsReact =
          /import\s+(\*\s+as\s+)?React\b|import\s+React\s*,|require\(\s*['"]react['"]\s*\)/.test(
            code,
          );
        if (usesReact && !importsReact) {
          problems.push(path.relative(dir, file));
        }
      }
    }
  };
  walk(dir);
  return problems;
}

/**
 * Loads a packed backend module's built entry point the way a backend
 * would (its dependencies from the repository's node_modules): it must
 * export a backend feature as default.
 */
function builtModuleProblems(unpacked, pkg) {
  const entry = path.join(unpacked, pkg.main);
  try {
    const type = execFileSync(
      process.execPath,
      [
        '-e',
        `process.stdout.write(String(require(${JSON.stringify(
          entry,
        )}).default?.$$type))`,
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, NODE_PATH: path.join(repoRoot, 'node_modules') },
      },
    );
    return type === '@backstage/BackendFeature'
      ? []
      : [`${pkg.main} exports ${type} as default, not a backend feature`];
  } catch (error) {
    return [`${pkg.main} does not load: ${tail(String(error.stderr), 5)}`];
  }
}

async function packPlugins(packDir) {
  const given = process.env.STOCK_APP_TARBALL_DIR;
  for (const plugin of [...PLUGINS, ...PACKED_ONLY]) {
    plugin.tgz = path.join(packDir, plugin.tarball);
    try {
      if (given) {
        fs.copyFileSync(path.resolve(given, plugin.tarball), plugin.tgz);
        console.log(
          `using ${path.resolve(
            given,
            plugin.tarball,
          )} (STOCK_APP_TARBALL_DIR)`,
        );
      } else {
        await run('yarn', ['workspace', plugin.name, 'build'], {
          cwd: repoRoot,
          env: process.env,
          timeoutMs: 240_000,
        });
        await run(
          'yarn',
          ['workspace', plugin.name, 'pack', '--out', plugin.tgz],
          {
            cwd: repoRoot,
            env: process.env,
            timeoutMs: 240_000,
          },
        );
      }
    } catch (error) {
      check(`tarball ${plugin.name}`, false, error.message);
      continue;
    }
    const entries = tarList(plugin.tgz);
    const unpacked = path.join(packDir, path.basename(plugin.tarball, '.tgz'));
    fs.mkdirSync(unpacked, { recursive: true });
    execFileSync('tar', [
      'xzf',
      plugin.tgz,
      '-C',
      unpacked,
      '--strip-components=1',
    ]);
    const pkg = JSON.parse(
      fs.readFileSync(path.join(unpacked, 'package.json'), 'utf8'),
    );
    const problems = [];
    if (pkg.name !== plugin.name) problems.push(`its name is ${pkg.name}`);
    if (!entries.some(e => e.startsWith('dist/')))
      problems.push('it has no dist/');
    for (const ref of referencedPaths(pkg)) {
      if (!entries.includes(ref))
        problems.push(`package.json points at ${ref}, which is not in it`);
      if (ref.startsWith('src/'))
        problems.push(`package.json points at the sources (${ref})`);
    }
    if (entries.some(e => e.startsWith('src/'))) problems.push('it ships src/');
    for (const file of classicJsxWithoutReact(path.join(unpacked, 'dist'))) {
      problems.push(
        `${file} calls React.createElement without importing React (ReferenceError: React is not defined at render)`,
      );
    }
    if (pkg.backstage?.role === 'backend-plugin-module') {
      problems.push(...builtModuleProblems(unpacked, pkg));
    }
    plugin.packed = true;
    check(
      `tarball ${plugin.name}`,
      problems.length === 0,
      problems.length
        ? problems.join('; ')
        : `${entries.length} files, ${
            entries.filter(e => e.startsWith('dist/')).length
          } in dist/`,
    );
  }
}

// ---------------------------------------------------------------- step 2: the stock app

async function scaffold(tmp) {
  const appDir = path.join(tmp, 'app');
  await run('npx', ['-y', CREATE_APP, '--skip-install', '--path', appDir], {
    cwd: tmp,
    env: cleanEnv({ BACKSTAGE_APP_NAME: APP_NAME }),
    timeoutMs: 180_000,
  });
  const release = JSON.parse(
    fs.readFileSync(path.join(appDir, 'backstage.json'), 'utf8'),
  ).version;
  console.log(`scaffolded ${CREATE_APP} (Backstage ${release}) in ${appDir}`);
  return { appDir, release };
}

function npmTimes(name) {
  const out = execFileSync('npm', ['view', name, 'time', '--json'], {
    cwd: os.tmpdir(),
    encoding: 'utf8',
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return JSON.parse(out);
}

/**
 * create-app pins every package it writes to the release it bundles, but the
 * packages those pull in are caret ranges, and it seeds yarn.lock from GitHub
 * (unreachable here). Installed today, a newer Backstage release's packages
 * would mix in (a second frontend-plugin-api, a signals backend the 1.55
 * backend-defaults cannot start). The app is therefore resolved as on the last
 * day of its release: versions published once the next release began (the
 * first newer minor of two core packages the template pins) are left out,
 * with Yarn's own age gate. STOCK_APP_LATEST=1 skips this.
 */
function pinRelease(appDir) {
  if (process.env.STOCK_APP_LATEST === '1') {
    console.log(
      'STOCK_APP_LATEST=1: the newest matching versions of everything',
    );
    return;
  }
  const readDeps = ws =>
    JSON.parse(fs.readFileSync(path.join(appDir, ws, 'package.json'), 'utf8'))
      .dependencies;
  const anchors = [
    [
      '@backstage/core-plugin-api',
      readDeps('packages/app')['@backstage/core-plugin-api'],
    ],
    [
      '@backstage/backend-defaults',
      readDeps('packages/backend')['@backstage/backend-defaults'],
    ],
  ];
  const parse = v => {
    const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v);
    return m && m.slice(1).map(Number);
  };
  let cutoff;
  for (const [name, range] of anchors) {
    const pinned = parse(String(range).replace(/^[\^~]/, ''));
    if (!pinned)
      throw new Error(`the template's ${name} is "${range}", not ^x.y.z`);
    const times = npmTimes(name);
    for (const [version, time] of Object.entries(times)) {
      const v = parse(version);
      if (!v) continue; // created, modified, prereleases
      const newerMinor =
        v[0] > pinned[0] || (v[0] === pinned[0] && v[1] > pinned[1]);
      if (newerMinor) {
        const t = new Date(time);
        if (!cutoff || t < cutoff.time)
          cutoff = { time: t, what: `${name}@${version}` };
      }
    }
  }
  if (!cutoff) {
    console.log('no newer Backstage release is published: nothing to pin');
    return;
  }
  const margin = 60 * 60 * 1000; // a release is published within minutes
  const minutes = Math.ceil(
    (Date.now() - (cutoff.time.getTime() - margin)) / 60_000,
  );
  const rcFile = path.join(appDir, '.yarnrc.yml');
  const kept = [];
  let inPreapproved = false;
  for (const line of fs.readFileSync(rcFile, 'utf8').split('\n')) {
    if (/^npmPreapprovedPackages:/.test(line)) {
      inPreapproved = true; // it would exempt @backstage/* from the gate
      continue;
    }
    if (inPreapproved && /^\s+-/.test(line)) continue;
    inPreapproved = false;
    if (/^npmMinimalAgeGate:/.test(line)) continue;
    kept.push(line);
  }
  kept.splice(1, 0, `npmMinimalAgeGate: ${minutes}m`);
  fs.writeFileSync(rcFile, kept.join('\n'));
  console.log(
    `the next release began with ${
      cutoff.what
    } (${cutoff.time.toISOString()}): ` +
      `.yarnrc.yml npmMinimalAgeGate ${minutes}m leaves out everything published after ` +
      `${new Date(cutoff.time.getTime() - margin).toISOString()}`,
  );
}

// ---------------------------------------------------------------- step 3: the README's steps

/** The README's marked code blocks: `<!-- stock-app-step: TARGET -->` right before a fence */
function readmeSteps() {
  const text = fs.readFileSync(README, 'utf8');
  const steps = new Map();
  const re =
    /<!--\s*stock-app-step:\s*(\S+)\s*-->[ \t]*\r?\n(?:[ \t]*\r?\n)*([ \t]*)```[\w-]*\r?\n([\s\S]*?)\r?\n\2```/g;
  for (const m of text.matchAll(re)) {
    const indent = m[2];
    const body = m[3]
      .split(/\r?\n/)
      .map(line =>
        line.startsWith(indent) ? line.slice(indent.length) : line.trimStart(),
      )
      .join('\n');
    if (steps.has(m[1]))
      throw new Error(
        `README.md has two blocks marked stock-app-step: ${m[1]}`,
      );
    steps.set(m[1], body);
  }
  const missing = README_STEPS.filter(s => !steps.has(s));
  if (missing.length) {
    throw new Error(
      `README.md has no code block marked <!-- stock-app-step: ${missing.join(
        ' -->, <!-- stock-app-step: ',
      )} -->`,
    );
  }
  return steps;
}

/** Shell lines of a block: no comments, no blank lines; only yarn commands are run */
function commands(block) {
  return block
    .split('\n')
    .map(line => line.replace(/\s+#.*$/, '').trim())
    .filter(line => line && !line.startsWith('#'))
    .map(line => {
      if (/[;&|<>`$()]/.test(line))
        throw new Error(`not a plain command: ${line}`);
      const args = line.split(/\s+/);
      if (args[0] !== 'yarn')
        throw new Error(`only yarn commands are run here: ${line}`);
      return args.slice(1);
    });
}

/** `yarn ... add <our package>` installs the tarball instead: a published package, but not yet */
async function applyShell(appDir, block) {
  const added = new Set();
  for (const args of commands(block)) {
    const rewritten = args.map(arg => {
      const plugin = PLUGINS.find(p => p.name === arg);
      if (!plugin) return arg;
      added.add(plugin.name);
      return `${plugin.name}@file:${plugin.tgz}`;
    });
    const output = await run('yarn', rewritten, {
      cwd: appDir,
      timeoutMs: 600_000,
    });
    // Yarn's peer dependency and resolution warnings about our packages
    for (const line of output.split('\n')) {
      if (
        /@bitbucket-signin\//.test(line) &&
        /YN00(02|60|86)|warn/i.test(line)
      ) {
        console.log(`  yarn: ${line.trim()}`);
      }
    }
  }
  const missing = PLUGINS.filter(p => !added.has(p.name)).map(p => p.name);
  if (missing.length)
    throw new Error(
      `the README's shell block does not add ${missing.join(', ')}`,
    );
}

/** Removes the public module when the template has it, as the README says */
async function applyRemovePublicModule(appDir, block) {
  const pkgFile = path.join(appDir, 'packages/backend/package.json');
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
  const indexFile = path.join(appDir, 'packages/backend/src/index.ts');
  const addLine = new RegExp(
    `^[ \\t]*backend\\.add\\(\\s*import\\(\\s*['"]${PUBLIC_MODULE.replace(
      /[/.]/g,
      '\\$&',
    )}['"]\\s*\\),?\\s*\\);?[ \\t]*\\r?\\n`,
    'gm',
  );
  const index = fs.readFileSync(indexFile, 'utf8');
  if (!pkg.dependencies?.[PUBLIC_MODULE] && !index.match(addLine)) {
    console.log(`the template has no ${PUBLIC_MODULE}: nothing to remove`);
    return;
  }
  if (!block)
    throw new Error(
      `the template has ${PUBLIC_MODULE}, and the README says nothing about removing it`,
    );
  if (pkg.dependencies?.[PUBLIC_MODULE]) {
    for (const args of commands(block)) {
      await run('yarn', args, { cwd: appDir, timeoutMs: 600_000 });
    }
  }
  fs.writeFileSync(
    indexFile,
    fs.readFileSync(indexFile, 'utf8').replace(addLine, ''),
  );
  console.log(`removed ${PUBLIC_MODULE} and its backend.add line`);
}

/**
 * Splits code into statements: runs of lines up to one ending in `;`.
 * Comment-only and blank lines outside a statement are left out.
 */
function statements(lines) {
  const result = [];
  let current;
  lines.forEach((line, i) => {
    const code = line.replace(/\/\/.*$/, '').trim();
    if (!current && !code) return;
    current ??= { start: i, lines: [] };
    current.lines.push(line);
    if (code.endsWith(';')) {
      result.push({
        ...current,
        end: i,
        key: current.lines
          .join('')
          .replace(/\/\/.*$/gm, '')
          .replace(/\s+/g, ''),
      });
      current = undefined;
    }
  });
  if (current)
    throw new Error(`unterminated statement: ${current.lines.join('\n')}`);
  return result;
}

/**
 * Backend: statements of the block already in index.ts (whitespace aside) are
 * anchors; the others are inserted after the last anchor, or before
 * `backend.start()` when there is none.
 */
function applyBackendIndex(appDir, block) {
  const file = path.join(appDir, 'packages/backend/src/index.ts');
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  let at = lines.findIndex(l => /^\s*backend\.start\(\);?\s*$/.test(l));
  if (at < 0) {
    throw new Error(
      'the stock packages/backend/src/index.ts has no backend.start()',
    );
  }
  let inserted = 0;
  for (const statement of statements(block.split('\n'))) {
    const existing = statements(lines).find(s => s.key === statement.key);
    if (existing) {
      at = existing.end + 1;
    } else {
      lines.splice(at, 0, ...statement.lines);
      at += statement.lines.length;
      inserted += 1;
    }
  }
  if (!inserted) {
    throw new Error(
      "the README's packages/backend/src/index.ts block adds nothing to the stock file",
    );
  }
  fs.writeFileSync(file, lines.join('\n'));
}

function stripComments(code) {
  return code
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:])\/\/.*$/gm, '$1');
}

/** `[` at `open` to its matching `]` */
function matchingBracket(text, open) {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '[') depth++;
    else if (text[i] === ']' && --depth === 0) return i;
  }
  return -1;
}

/** Splits an array literal's contents on top-level commas */
function topLevelItems(inner) {
  const items = [];
  let depth = 0;
  let current = '';
  for (const ch of inner) {
    if ('([{'.includes(ch)) depth++;
    if (')]}'.includes(ch)) depth--;
    if (ch === ',' && depth === 0) {
      items.push(current.trim());
      current = '';
    } else current += ch;
  }
  items.push(current.trim());
  return items.filter(item => item && !/^\.\.\./.test(item));
}

/** App: the block's imports join App.tsx's, its `features` entries join createApp's */
function applyAppTsx(appDir, block) {
  const file = path.join(appDir, 'packages/app/src/App.tsx');
  let code = fs.readFileSync(file, 'utf8');
  const snippet = stripComments(block);
  const norm = s => s.replace(/\s+/g, ' ').trim();

  const imports = snippet.match(/^import\s[^;]*;/gm) ?? [];
  const existingImports = [...code.matchAll(/^import\s[^;]*;/gm)];
  const newImports = imports.filter(
    i => !existingImports.some(e => norm(e[0]) === norm(i)),
  );
  if (newImports.length) {
    const last = existingImports[existingImports.length - 1];
    const pos = last ? last.index + last[0].length : 0;
    code = `${code.slice(0, pos)}\n${newImports.join('\n')}${code.slice(pos)}`;
  }

  const featuresOf = text => {
    const m = /features\s*:\s*\[/.exec(text);
    if (!m) return undefined;
    const open = m.index + m[0].length - 1;
    const close = matchingBracket(text, open);
    return close < 0
      ? undefined
      : { open, close, items: topLevelItems(text.slice(open + 1, close)) };
  };
  const wanted = featuresOf(snippet);
  if (!wanted)
    throw new Error("the README's App.tsx block has no `features: [...]`");
  const target = featuresOf(code);
  if (!target)
    throw new Error('the stock App.tsx has no createApp({ features: [...] })');
  const added = wanted.items.filter(
    item => !target.items.some(t => norm(t) === norm(item)),
  );
  if (added.length) {
    const inner = code.slice(target.open + 1, target.close);
    const body = inner.replace(/[\s,]*$/, '');
    const trailing = inner.slice(body.length).replace(/,/g, '');
    const multiline = inner.includes('\n');
    const joined = multiline
      ? `${body}${body.trim() ? ',' : ''}\n${added
          .map(a => `    ${a},`)
          .join('\n')}${trailing || '\n  '}`
      : `${body}${body.trim() ? ', ' : ''}${added.join(', ')}${trailing}`;
    code = code.slice(0, target.open + 1) + joined + code.slice(target.close);
  }
  fs.writeFileSync(file, code);
  if (!newImports.length && !added.length) {
    throw new Error(
      "the README's App.tsx block changes nothing in the stock App.tsx",
    );
  }
}

/** The stock app's own YAML library (the one @backstage/config-loader reads app-config with) */
function yamlLib(appDir) {
  return require(require.resolve('yaml', {
    paths: [path.join(appDir, 'node_modules/@backstage/config-loader')],
  }));
}

/** app-config.yaml: the block merged in, keys it does not name kept (comments too) */
function applyAppConfig(appDir, block) {
  const YAML = yamlLib(appDir);
  const file = path.join(appDir, 'app-config.yaml');
  const doc = YAML.parseDocument(fs.readFileSync(file, 'utf8'));
  const merge = (keys, value) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const node = keys.length ? doc.getIn(keys, true) : doc.contents;
      if (keys.length && !YAML.isMap(node)) {
        doc.setIn(keys, value);
        return;
      }
      for (const [k, v] of Object.entries(value)) merge([...keys, k], v);
    } else {
      doc.setIn(keys, value);
    }
  };
  merge([], YAML.parse(block));
  fs.writeFileSync(
    file,
    doc.toString({ flowCollectionPadding: false, lineWidth: 0 }),
  );
}

/** The catalog: the block's entities appended to examples/org.yaml */
function applyCatalog(appDir, block) {
  const YAML = yamlLib(appDir);
  const entities = YAML.parseAllDocuments(block)
    .map(d => d.toJS())
    .filter(Boolean);
  if (!entities.length)
    throw new Error("the README's examples/org.yaml block has no entity");
  const file = path.join(appDir, 'examples/org.yaml');
  const body = block.replace(/^\s*---\s*\n/, '');
  fs.appendFileSync(
    file,
    `${fs.readFileSync(file, 'utf8').endsWith('\n') ? '' : '\n'}---\n${body}\n`,
  );
  return entities;
}

// ---------------------------------------------------------------- step 5: one copy each

/** Every installed copy of `name` under the app (node_modules trees of the root and the workspaces) */
function copiesOf(appDir, name) {
  const found = [];
  const seen = new Set();
  const visitModules = nm => {
    let entries;
    try {
      entries = fs.readdirSync(nm, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      if (entry.name.startsWith('@') && entry.isDirectory()) {
        for (const sub of fs.readdirSync(path.join(nm, entry.name), {
          withFileTypes: true,
        })) {
          visitPackage(
            path.join(nm, entry.name, sub.name),
            `${entry.name}/${sub.name}`,
            sub,
          );
        }
      } else {
        visitPackage(path.join(nm, entry.name), entry.name, entry);
      }
    }
  };
  const visitPackage = (dir, pkgName, dirent) => {
    if (!dirent.isDirectory() || seen.has(dir)) return; // symlinks are the workspaces
    seen.add(dir);
    if (pkgName === name) {
      try {
        const version = JSON.parse(
          fs.readFileSync(path.join(dir, 'package.json'), 'utf8'),
        ).version;
        found.push({ dir: path.relative(appDir, dir), version });
      } catch {
        // not a package
      }
    }
    visitModules(path.join(dir, 'node_modules'));
  };
  visitModules(path.join(appDir, 'node_modules'));
  for (const ws of ['packages', 'plugins']) {
    let dirs = [];
    try {
      dirs = fs.readdirSync(path.join(appDir, ws));
    } catch {
      // none
    }
    for (const d of dirs)
      visitModules(path.join(appDir, ws, d, 'node_modules'));
  }
  return found;
}

async function checkDedupe(appDir) {
  for (const name of SHARED) {
    const copies = copiesOf(appDir, name);
    const ok = copies.length === 1;
    check(
      `one copy of ${name}`,
      ok,
      copies.length
        ? copies.map(c => `${c.version} (${c.dir})`).join(', ')
        : 'not installed at all',
    );
    if (!ok) {
      const why = await run('yarn', ['why', name], {
        cwd: appDir,
        timeoutMs: 120_000,
      }).catch(e => e.output ?? e.message);
      console.log(`yarn why ${name}:\n${why}`);
    }
  }
}

// ---------------------------------------------------------------- step 4: deploy and start

/** The template's Dockerfile, without Docker: skeleton, production install, bundle, configs */
async function deploy(appDir, tmp) {
  const dir = path.join(tmp, 'deploy');
  fs.mkdirSync(dir);
  for (const f of [
    '.yarn',
    '.yarnrc.yml',
    'backstage.json',
    'yarn.lock',
    'package.json',
  ]) {
    fs.cpSync(path.join(appDir, f), path.join(dir, f), { recursive: true });
  }
  const dist = path.join(appDir, 'packages/backend/dist');
  execFileSync('tar', ['xzf', path.join(dist, 'skeleton.tar.gz'), '-C', dir]);
  await run('yarn', ['workspaces', 'focus', '--all', '--production'], {
    cwd: dir,
    env: cleanEnv({ NODE_ENV: 'production' }),
    timeoutMs: 480_000,
  });
  fs.cpSync(path.join(appDir, 'examples'), path.join(dir, 'examples'), {
    recursive: true,
  });
  execFileSync('tar', ['xzf', path.join(dist, 'bundle.tar.gz'), '-C', dir]);
  for (const f of fs
    .readdirSync(appDir)
    .filter(f => /^app-config.*\.yaml$/.test(f))) {
    fs.copyFileSync(path.join(appDir, f), path.join(dir, f));
  }
  return dir;
}

/**
 * The repository's Bitbucket simulator, and its driver for a sign-in over
 * HTTP (start, consent, callback), from their TypeScript sources
 */
function loadSimulator() {
  const simulator = requireFromSource(
    'packages/bitbucket-cloud-simulator/src/index.ts',
  );
  const { signInThroughBackstage } = requireFromSource(
    'packages/test-kit/src/index.ts',
  );
  return { ...simulator, signInThroughBackstage };
}

/** A TypeScript module of this repository, through the CLI's transform */
function requireFromSource(file) {
  require(require.resolve('@backstage/cli/config/nodeTransform.cjs', {
    paths: [repoRoot],
  }));
  return require(path.join(repoRoot, file));
}

/** The backend as production runs it: `node packages/backend --config ...` */
async function startBackend(ctx) {
  const { deployDir, tmp, simulator, port, baseUrl } = ctx;
  const testConfig = path.join(tmp, 'app-config.stock-app-test.yaml');
  // Only what this machine needs: loopback, SQLite instead of the production
  // PostgreSQL, and Bitbucket at the simulator
  fs.writeFileSync(
    testConfig,
    JSON.stringify(
      {
        app: { baseUrl },
        backend: {
          baseUrl,
          listen: `127.0.0.1:${port}`,
          cors: { origin: baseUrl },
          database: { client: 'better-sqlite3', connection: ':memory:' },
          csp: { 'img-src': ["'self'", 'data:', simulator.url] },
        },
        auth: {
          providers: {
            bitbucket: {
              development: {
                authorizationUrl: simulator.authorizationUrl,
                tokenUrl: simulator.tokenUrl,
                apiBaseUrl: simulator.apiBaseUrl,
              },
            },
          },
        },
      },
      null,
      2,
    ),
  );
  const args = [
    'packages/backend',
    '--config',
    'app-config.yaml',
    '--config',
    'app-config.production.yaml',
    '--config',
    testConfig,
  ];
  console.log(`$ node ${args.join(' ')}   (in ${deployDir})`);
  const child = spawn(process.execPath, args, {
    cwd: deployDir,
    env: cleanEnv({
      NODE_ENV: 'production',
      AUTH_BITBUCKET_CLIENT_ID: ctx.consumer.key,
      AUTH_BITBUCKET_CLIENT_SECRET: ctx.consumer.secret,
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  ctx.backend = child;
  ctx.backendLog = '';
  const onData = chunk => {
    ctx.backendLog += chunk;
    if (VERBOSE) process.stdout.write(chunk);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);

  const deadline = Date.now() + 150_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(
        `the backend exited (${child.exitCode}):\n${backendTail(
          ctx.backendLog,
        )}`,
      );
    }
    try {
      const res = await fetch(`${baseUrl}/.backstage/health/v1/readiness`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(
        `the backend was not ready within 150 s:\n${backendTail(
          ctx.backendLog,
        )}`,
      );
    }
    await sleep(500);
  }
  const index = await fetch(`${baseUrl}/`).then(r => r.text());
  if (!index.includes('<div id="root">')) {
    throw new Error(`the backend does not serve the built app at ${baseUrl}/`);
  }
  // Ready for the browser once the catalog has the User: a sign-in over HTTP works
  let last = 'no attempt';
  while (Date.now() < deadline + 60_000) {
    try {
      const attempt = await simulator.signInThroughBackstage({
        backendUrl: baseUrl,
        appOrigin: baseUrl,
        consent: url => simulator.approve(url, ctx.user.username),
      });
      if (attempt.response?.backstageIdentity) return;
      last = attempt.error
        ? `${attempt.error.name}: ${attempt.error.message}`
        : `HTTP ${attempt.status}`;
    } catch (error) {
      last = error.message;
    }
    await sleep(1000);
  }
  throw new Error(
    `${ctx.user.username} could not sign in over HTTP: ${last}\n${backendTail(
      ctx.backendLog,
    )}`,
  );
}

// ---------------------------------------------------------------- step 6: the browser

async function signInInBrowser(ctx) {
  const { chromium } = require(require.resolve('playwright-core', {
    paths: [path.join(repoRoot, 'packages/app')],
  }));
  const { chromiumLaunchOptions } = requireFromSource(
    'packages/test-kit/src/index.ts',
  );
  const browserLog = [];
  const external = [];
  const browser = await chromium.launch(chromiumLaunchOptions());
  ctx.browser = browser;
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
  });
  await context.route(
    url => !['localhost', '127.0.0.1'].includes(url.hostname),
    route => {
      external.push(route.request().url());
      return route.abort();
    },
  );
  const watch = (p, label) => {
    p.on('console', m => {
      if (['error', 'warning'].includes(m.type()))
        browserLog.push(`${label} console.${m.type()}: ${m.text()}`);
    });
    p.on('pageerror', e =>
      browserLog.push(`${label} pageerror: ${e.stack || e}`),
    );
  };
  const page = await context.newPage();
  watch(page, 'page');
  context.on('page', p => watch(p, 'popup'));
  const shot = async name => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, `${name}.png`);
    await page
      .screenshot({ path: file, fullPage: true })
      .catch(() => undefined);
    return file;
  };
  try {
    await page.goto(ctx.baseUrl);
    await page
      .getByText('Sign in using Bitbucket')
      .waitFor({ timeout: 60_000 });
    await shot('sign-in-page');
    const popupPromise = page.waitForEvent('popup', { timeout: 30_000 });
    await page.getByRole('button', { name: /sign in/i }).click();
    const popup = await popupPromise;
    const closed = popup.waitForEvent('close', { timeout: 30_000 });
    await popup
      .getByTestId(`consent-user-${ctx.user.username}`)
      .click({ timeout: 30_000 });
    await closed;

    // The stock app shows who is signed in on its settings page
    const settings = page.locator('a[href$="/settings"]').first();
    await settings.waitFor({ timeout: 60_000 });
    await settings.click();
    await page
      .getByText(ctx.user.displayName, { exact: true })
      .first()
      .waitFor({ timeout: 30_000 });
    const entityLink = page.locator(
      `a[href$="/${ctx.entity.namespace}/user/${ctx.entity.name}"]`,
    );
    await entityLink.first().waitFor({ timeout: 30_000 });
    await shot('signed-in-settings');
    if (browserLog.length) {
      console.log(
        `browser console errors and page errors during a sign-in that worked (${
          browserLog.length
        }):\n${browserLog.slice(-20).join('\n')}`,
      );
    }
    if (external.length)
      console.log(
        `requests off this machine, blocked: ${[...new Set(external)].join(
          ', ',
        )}`,
      );
    return `the settings page shows ${ctx.user.displayName} and user:${ctx.entity.namespace}/${ctx.entity.name}`;
  } catch (error) {
    const file = await shot('failure');
    const body = await page
      .locator('body')
      .innerText()
      .catch(() => '');
    throw new Error(
      `${error.message.split('\n')[0]}\n` +
        `--- page text ---\n${tail(body, 30)}\n` +
        `--- browser console errors and page errors (${
          browserLog.length
        }) ---\n${browserLog.slice(-40).join('\n') || '(none)'}\n` +
        `--- backend log, without request lines (tail) ---\n${backendTail(
          ctx.backendLog ?? '',
        )}\n` +
        `screenshot: ${file}`,
    );
  } finally {
    await browser.close().catch(() => undefined);
    ctx.browser = undefined;
  }
}

// ---------------------------------------------------------------- main

async function main() {
  registryEnv();
  fs.rmSync(ARTIFACTS, { recursive: true, force: true }); // this run's only
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stock-app-'));
  const ctx = { tmp };
  const cleanup = async () => {
    await ctx.browser?.close().catch(() => undefined);
    await stopChild(ctx.backend);
    for (const child of children) await stopChild(child, 3000);
    await ctx.simulator?.stop().catch(() => undefined);
    if (ctx.backendLog) {
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      fs.writeFileSync(path.join(ARTIFACTS, 'backend.log'), ctx.backendLog);
    }
    if (KEEP) {
      console.log(`\nKEEP_STOCK_APP=1: kept ${tmp}`);
      return;
    }
    await step('9. remove the temporary directory', async () => {
      await run('rm', ['-rf', tmp], { timeoutMs: 300_000 }).catch(() =>
        fs.rmSync(tmp, { recursive: true, force: true }),
      );
    });
  };
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, async () => {
      interrupted = true;
      console.log(`\n${signal}: stopping`);
      await cleanup();
      process.exit(130);
    });
  }

  try {
    console.log(
      `stock-app check: ${CREATE_APP}, Node ${process.version}, temp ${tmp}`,
    );
    const packDir = path.join(tmp, 'packs');
    fs.mkdirSync(packDir);

    await step('1. build and pack the plugins', () => packPlugins(packDir));
    if (!PLUGINS.every(p => p.packed)) return;

    const scaffolded = await step(
      `2. scaffold a stock app with ${CREATE_APP}`,
      async () => {
        const result = await scaffold(tmp);
        pinRelease(result.appDir);
        return result;
      },
    );
    if (
      !check(
        'scaffold',
        Boolean(scaffolded),
        scaffolded && `Backstage ${scaffolded.release}`,
      )
    )
      return;
    const { appDir } = scaffolded;

    let steps;
    let entities;
    const applied = await step(
      '3. the README\'s "Add it to your Backstage app" steps',
      async () => {
        steps = readmeSteps();
        const edited = [
          'packages/backend/src/index.ts',
          'packages/app/src/App.tsx',
          'app-config.yaml',
        ];
        const before = path.join(tmp, 'before');
        for (const f of edited) {
          fs.mkdirSync(path.dirname(path.join(before, f)), { recursive: true });
          fs.copyFileSync(path.join(appDir, f), path.join(before, f));
        }
        await applyRemovePublicModule(
          appDir,
          steps.get('remove-public-module'),
        );
        await applyShell(appDir, steps.get('shell'));
        applyBackendIndex(appDir, steps.get('packages/backend/src/index.ts'));
        applyAppTsx(appDir, steps.get('packages/app/src/App.tsx'));
        applyAppConfig(appDir, steps.get('app-config.yaml'));
        entities = applyCatalog(appDir, steps.get('examples/org.yaml'));
        for (const f of edited) {
          const diff = await run(
            'diff',
            ['-u', `before/${f}`, path.join(appDir, f)],
            {
              cwd: tmp,
              timeoutMs: 30_000,
            },
          ).catch(e => e.output ?? '');
          if (diff.trim()) console.log(diff.trim());
        }
        return true;
      },
    );
    if (!check('README steps applied', Boolean(applied))) return;

    const installed = await step('4. yarn install', () =>
      run('yarn', ['install'], { cwd: appDir, timeoutMs: 600_000 }).then(
        () => true,
      ),
    );
    if (!check('yarn install', Boolean(installed))) return;

    await step('5. one copy of each shared core package', () =>
      checkDedupe(appDir),
    );

    const tsc = await step('6. yarn tsc', () =>
      run('yarn', ['tsc'], { cwd: appDir, timeoutMs: 300_000 }),
    );
    check('yarn tsc', tsc !== undefined);

    const built = await step(
      '7. yarn build:backend (the backend bundle and the app, production build)',
      async () => {
        await run('yarn', ['build:backend'], {
          cwd: appDir,
          timeoutMs: 600_000,
        });
        for (const f of [
          'packages/app/dist/index.html',
          'packages/backend/dist/bundle.tar.gz',
          'packages/backend/dist/skeleton.tar.gz',
        ]) {
          if (!fs.existsSync(path.join(appDir, f)))
            throw new Error(`the build wrote no ${f}`);
        }
        return true;
      },
    );
    if (!check('yarn build:backend', Boolean(built))) return;

    const signedIn = await step(
      '8. deploy, start the backend and the simulator, sign in in Chromium',
      async () => {
        const user = entities.find(e => e.kind === 'User');
        const uuid = user?.metadata?.annotations?.['bitbucket.org/user-id'];
        if (!uuid)
          throw new Error(
            "the README's examples/org.yaml block has no User with bitbucket.org/user-id",
          );
        ctx.entity = {
          name: user.metadata.name,
          namespace: user.metadata.namespace ?? 'default',
        };
        const simulator = loadSimulator();
        const bare = u => String(u).replace(/[{}]/g, '').toLowerCase();
        ctx.user = simulator.demoUsers.find(u => bare(u.uuid) === bare(uuid));
        if (!ctx.user)
          throw new Error(
            `no simulator demo user has the README's uuid ${uuid}`,
          );
        console.log(
          `signing in as the simulator's ${ctx.user.username} (${ctx.user.displayName}), uuid ${uuid}`,
        );

        ctx.deployDir = await deploy(appDir, tmp);
        ctx.port = await freePort();
        ctx.baseUrl = `http://127.0.0.1:${ctx.port}`;
        ctx.consumer = {
          ...simulator.demoConsumer,
          callbackUrl: `${ctx.baseUrl}/api/auth/bitbucket/handler/frame`,
        };
        const sim = await simulator.startBitbucketSimulator({
          consumers: [ctx.consumer],
        });
        ctx.simulator = Object.assign(sim, {
          signInThroughBackstage: simulator.signInThroughBackstage,
        });
        console.log(`simulator on ${sim.url}, backend on ${ctx.baseUrl}`);
        await startBackend(ctx);
        console.log(`backend ready; ${ctx.user.username} signs in over HTTP`);
        return signInInBrowser(ctx);
      },
    );
    check('sign-in in Chromium', Boolean(signedIn), signedIn);
  } finally {
    if (!interrupted) await cleanup();
  }
}

if (require.main === module) {
  main()
    .catch(error => {
      check('stock-app run', false, error.stack || error.message);
    })
    .finally(() => {
      const expected = [
        ...[...PLUGINS, ...PACKED_ONLY].map(p => `tarball ${p.name}`),
        'scaffold',
        'README steps applied',
        'yarn install',
        ...SHARED.map(name => `one copy of ${name}`),
        'yarn tsc',
        'yarn build:backend',
        'sign-in in Chromium',
      ];
      for (const name of expected) {
        if (!checks.some(c => c.name === name))
          check(name, false, 'not run: an earlier step failed');
      }
      console.log('\n=== wall time per step');
      for (const t of timings)
        console.log(`${seconds(t.ms).padStart(8)}  ${t.title}`);
      console.log(`${seconds(Date.now() - started).padStart(8)}  total`);
      const failed = checks.filter(c => !c.ok);
      if (failed.length) {
        console.log('\nfailed:');
        for (const c of failed) console.log(`- ${c.name}`);
      }
      console.log(
        `\n${checks.length - failed.length} passed, ${failed.length} failed`,
      );
      process.exitCode = failed.length ? 1 : 0;
    });
} else {
  // for trying the README steps on an app by hand
  module.exports = {
    readmeSteps,
    applyBackendIndex,
    applyRemovePublicModule,
    loadSimulator,
    applyAppTsx,
    applyAppConfig,
    applyCatalog,
    copiesOf,
  };
}
