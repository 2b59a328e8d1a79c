/**
 * Reads a V8 .cpuprofile (from `node --cpu-prof`) and says where the main
 * thread's time went during chosen windows: self time by area, by file and by
 * function. Used by `yarn bench --profile`.
 */
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: {
    functionName: string;
    url: string;
    lineNumber: number;
  };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Self time in µs per key */
export type Breakdown = Map<string, number>;

export interface ProfileSummary {
  /** Busy (non-idle) main-thread time inside the windows, µs */
  busyUs: number;
  /** Idle main-thread time inside the windows, µs */
  idleUs: number;
  byArea: Breakdown;
  byFile: Breakdown;
  byFunction: Breakdown;
}

/** Coarse areas a sign-in's CPU time falls into, first match wins */
const areas: Array<[string, RegExp]> = [
  ['GC', /^\(garbage collector\)$/],
  [
    'our module (plugins/auth-backend-module-bitbucket-provider)',
    /\/plugins\/auth-backend-module-bitbucket-provider\//,
  ],
  [
    'public module, passport, node-oauth',
    /plugin-auth-backend-module-bitbucket-provider\/|\/node_modules\/(passport[^/]*|oauth)\//,
  ],
  [
    'global fetch (undici, web streams)',
    /^node:internal\/deps\/undici|^node:internal\/webstreams|^wasm:\/\//,
  ],
  [
    'AbortSignal, DOMException, EventTarget',
    /^node:internal\/(abort_controller|per_context\/domexception|worker\/js_transferable|event_target)/,
  ],
  ['zlib (response compression)', /^node:zlib/],
  ['crypto, JWT (jose)', /^node:internal\/crypto|\/node_modules\/jose\//],
  ['SQLite, knex', /\/node_modules\/(better-sqlite3|knex|tarn)\//],
  ['node-fetch (catalog client)', /\/node_modules\/(node-fetch|cross-fetch)\//],
  [
    'express and middleware',
    /\/node_modules\/(express|express-[^/]+|helmet|compression|cookie-parser|body-parser|cors|qs|path-to-regexp|router|send|finalhandler|on-finished|vary|ajv[^/]*)\//,
  ],
  [
    'node http, net, streams',
    /^node:(_http_|net|internal\/stream_base_commons|internal\/streams|stream|internal\/http)|^(writev|writeUtf8String|writeLatin1String)$/,
  ],
  ['Backstage packages', /\/node_modules\/@backstage\//],
  [
    'logging (winston, logform)',
    /\/node_modules\/(winston[^/]*|logform|triple-beam)\//,
  ],
];

function areaOf(url: string, functionName: string): string {
  const key = url || functionName;
  for (const [name, pattern] of areas) {
    if (pattern.test(key)) {
      return name;
    }
  }
  return url ? 'other JavaScript' : 'other native / V8';
}

function shortFile(url: string): string {
  return url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '')
    .replace(/^.*\/(plugins|packages|bench)\//, '$1/');
}

function add(map: Breakdown, key: string, us: number) {
  map.set(key, (map.get(key) ?? 0) + us);
}

/** The profile's main-thread file in a --cpu-prof directory: CPU.<date>.<time>.<pid>.0.<seq>.cpuprofile */
export function mainThreadProfile(dir: string): string | undefined {
  const file = fs
    .readdirSync(dir)
    .find(name => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(name));
  return file ? `${dir}/${file}` : undefined;
}

export function summarizeProfile(
  file: string,
  /** [fromUs, toUs] on the profile's clock (process.hrtime in µs) */
  windows: Array<[number, number]>,
): ProfileSummary {
  const profile: CpuProfile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
  }
  const summary: ProfileSummary = {
    busyUs: 0,
    idleUs: 0,
    byArea: new Map(),
    byFile: new Map(),
    byFunction: new Map(),
  };
  const inWindow = (t: number) =>
    windows.some(([from, to]) => t >= from && t <= to);
  let time = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i];
    // a sample stands for the time until the next one
    const us = profile.timeDeltas[i + 1] ?? 0;
    if (us <= 0 || !inWindow(time)) {
      continue;
    }
    const { functionName, url, lineNumber } = byId.get(
      profile.samples[i],
    )!.callFrame;
    if (functionName === '(idle)') {
      summary.idleUs += us;
      continue;
    }
    summary.busyUs += us;
    add(summary.byArea, areaOf(url, functionName), us);
    add(summary.byFile, url ? shortFile(url) : `(${functionName})`, us);
    add(
      summary.byFunction,
      `${functionName || '(anonymous)'}${
        url ? ` ${shortFile(url)}:${lineNumber + 1}` : ''
      }`,
      us,
    );
  }
  return summary;
}

/** Rows of µs per sign-in for two summaries, largest difference first */
export function compare(
  ours: Breakdown,
  oursSignIns: number,
  pub: Breakdown,
  publicSignIns: number,
  top: number,
): Array<{ name: string; ours: number; public: number; difference: number }> {
  const names = new Set([...ours.keys(), ...pub.keys()]);
  return [...names]
    .map(name => {
      const o = (ours.get(name) ?? 0) / oursSignIns;
      const p = (pub.get(name) ?? 0) / publicSignIns;
      return { name, ours: o, public: p, difference: o - p };
    })
    .sort((a, b) => Math.abs(b.difference) - Math.abs(a.difference))
    .slice(0, top);
}
