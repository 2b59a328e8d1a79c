/**
 * One complete sign-in over HTTP, as the browser popup does it, and a closed
 * loop of them at a given concurrency. Kept light: global fetch (undici,
 * keep-alive), the consent page answered in-process by the simulator, and no
 * more parsing than it takes to check the issued token.
 */
import type { BitbucketSimulator } from '@bitbucket-signin/bitbucket-cloud-simulator';
import { performance } from 'node:perf_hooks';
import { busyCoresBetween, readMachineCpu } from './machine';
import { BackendProcess, readCpuMs } from './processes';

export const APP_ORIGIN = 'http://localhost:3000';

/** Simulator demo accounts and the catalog User each must resolve to (bench/catalog.yaml) */
export interface BenchUser {
  username: string;
  entityRef: string;
}

export const benchUsers: BenchUser[] = [
  { username: 'alice-bb', entityRef: 'user:default/alice' },
  { username: 'bob-bb', entityRef: 'user:default/bob' },
  { username: 'carol-bb', entityRef: 'user:default/carol' },
  { username: 'mallory-bb', entityRef: 'user:default/mallory' },
  { username: 'dave-bb', entityRef: 'user:default/dave' },
  { username: 'grace-bb', entityRef: 'user:default/grace' },
];

export interface SignInResult {
  ok: boolean;
  /** The handler/frame request: sent until its body is fully read */
  callbackMs: number;
  /** start + consent + callback */
  totalMs: number;
  error?: string;
}

const POPUP_MESSAGE = /authResponse = decodeURIComponent\('([^']*)'\)/;

/** What a browser would send back: the last value per name, deletions (Max-Age=0) dropped */
function cookieHeader(setCookies: string[]): string {
  const jar = new Map<string, string>();
  for (const cookie of setCookies) {
    const end = cookie.indexOf(';');
    const pair = end < 0 ? cookie : cookie.slice(0, end);
    const name = pair.slice(0, pair.indexOf('='));
    if (/;\s*max-age=0\s*(;|$)/i.test(cookie)) {
      jar.delete(name);
    } else {
      jar.set(name, pair);
    }
  }
  return [...jar.values()].join('; ');
}

/** The `sub` claim of a Backstage token (not verified; the backend just issued it) */
function subjectOf(token: string): string | undefined {
  const payload = token.split('.')[1];
  return payload
    ? JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')).sub
    : undefined;
}

export async function signIn(
  backendUrl: string,
  simulator: BitbucketSimulator,
  user: BenchUser,
): Promise<SignInResult> {
  const began = performance.now();
  let callbackMs = NaN;
  try {
    const start = await fetch(
      `${backendUrl}/api/auth/bitbucket/start?env=development&origin=${encodeURIComponent(
        APP_ORIGIN,
      )}`,
      { redirect: 'manual' },
    );
    await start.arrayBuffer();
    const authorizeUrl = start.headers.get('location');
    if (start.status !== 302 || !authorizeUrl) {
      throw new Error(`start answered ${start.status} without a redirect`);
    }
    const cookie = cookieHeader(start.headers.getSetCookie());

    // Bitbucket's consent page, answered without HTML (only the query matters,
    // so the public module's https://bitbucket.org/... URL works as well)
    const callbackUrl = new URL(
      await simulator.approve(authorizeUrl, user.username),
    );

    const sent = performance.now();
    const callback = await fetch(
      `${backendUrl}${callbackUrl.pathname}${callbackUrl.search}`,
      { redirect: 'manual', headers: { cookie } },
    );
    const body = await callback.text();
    callbackMs = performance.now() - sent;

    const match = POPUP_MESSAGE.exec(body);
    if (!match) {
      throw new Error(
        `callback answered ${callback.status} without a popup message`,
      );
    }
    const message = JSON.parse(decodeURIComponent(match[1]));
    const token = message?.response?.backstageIdentity?.token;
    if (typeof token !== 'string') {
      throw new Error(
        `callback answered ${callback.status} without a token: ${
          message?.error?.name ?? ''
        } ${message?.error?.message ?? ''}`.trim(),
      );
    }
    const sub = subjectOf(token);
    if (sub !== user.entityRef) {
      throw new Error(
        `signed in ${user.username} as ${sub}, not ${user.entityRef}`,
      );
    }
    return { ok: true, callbackMs, totalMs: performance.now() - began };
  } catch (error) {
    return {
      ok: false,
      callbackMs,
      totalMs: performance.now() - began,
      error: (error as Error)?.message ?? String(error),
    };
  }
}

export interface LoadResult {
  concurrency: number;
  attempted: number;
  succeeded: number;
  errors: number;
  /** A few distinct error messages with their counts */
  errorSamples: Record<string, number>;
  elapsedMs: number;
  /** Callback latency of the successful sign-ins, in completion order */
  callbackMs: number[];
}

/**
 * `concurrency` sign-ins in flight until `count` were started or `maxMs`
 * passed, whichever comes first; then waits for those in flight.
 */
export async function runLoad(options: {
  backendUrl: string;
  simulator: BitbucketSimulator;
  concurrency: number;
  count: number;
  maxMs: number;
  /** Rotates through the demo users from here */
  userOffset?: number;
  /** Who signs in, in rotation; `benchUsers` unless given (bench:catalog signs in its own) */
  users?: BenchUser[];
}): Promise<LoadResult> {
  const { backendUrl, simulator, concurrency, count, maxMs } = options;
  let next = 0;
  const result: LoadResult = {
    concurrency,
    attempted: 0,
    succeeded: 0,
    errors: 0,
    errorSamples: {},
    elapsedMs: 0,
    callbackMs: [],
  };
  const began = performance.now();
  const deadline = began + maxMs;
  const worker = async () => {
    while (next < count && performance.now() < deadline) {
      const index = next++;
      const users = options.users ?? benchUsers;
      const user = users[((options.userOffset ?? 0) + index) % users.length];
      const outcome = await signIn(backendUrl, simulator, user);
      result.attempted++;
      if (outcome.ok) {
        result.succeeded++;
        result.callbackMs.push(outcome.callbackMs);
      } else {
        result.errors++;
        const key = (outcome.error ?? 'unknown').slice(0, 200);
        if (
          key in result.errorSamples ||
          Object.keys(result.errorSamples).length < 5
        ) {
          result.errorSamples[key] = (result.errorSamples[key] ?? 0) + 1;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  result.elapsedMs = performance.now() - began;
  return result;
}

/**
 * `runLoad` against `backend`, with the CPU time its process used and the
 * machine's busy cores over the load.
 */
export async function runMeasuredLoad(
  backend: BackendProcess,
  options: Omit<Parameters<typeof runLoad>[0], 'backendUrl'>,
) {
  const cpu0 = readCpuMs(backend.pid);
  const machine0 = readMachineCpu();
  const result = await runLoad({ backendUrl: backend.url, ...options });
  const backendCpuMs = readCpuMs(backend.pid) - cpu0;
  const machine1 = readMachineCpu();
  return {
    result,
    backendCpuMs,
    machineBusyCores: busyCoresBetween(machine0, machine1),
  };
}

/** What a block records of its `runLoad`, with the rate, in the order blocks list them */
export function loadRecord(result: LoadResult) {
  return {
    attempted: result.attempted,
    succeeded: result.succeeded,
    errors: result.errors,
    errorSamples: result.errorSamples,
    elapsedMs: result.elapsedMs,
    signInsPerSecond: result.succeeded / (result.elapsedMs / 1000),
    callbackMs: result.callbackMs,
  };
}
