/*
 * The stack the browser test and the docs screenshots run against: the built
 * app, an in-process Bitbucket simulator and the real packages/backend
 * (which serves the built app through @backstage/plugin-app-backend, so UI
 * and API share one origin) on a free port, and headless Chromium driven by
 * playwright-core. Every server listens on 127.0.0.1 only; stop() ends all
 * of it.
 */
import { BitbucketSimulator } from '@bitbucket-signin/bitbucket-cloud-simulator';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BrowserContext, Page, chromium } from 'playwright-core';
import {
  BackendProcess,
  chromiumLaunchOptions,
  freePort,
  signInThroughBackstage,
  simulatedBitbucketConfig,
  startBackendProcess,
  startSimulatedBitbucket,
} from '@bitbucket-signin/test-kit';

export const appDir = path.resolve(__dirname, '..');
const backendDir = path.resolve(appDir, '../backend');
export const repoRoot = path.resolve(appDir, '../..');

export interface AppStack {
  /** Where the backend serves app and API, e.g. `http://localhost:41234` */
  baseUrl: string;
  simulator: BitbucketSimulator;
  backend: BackendProcess;
  context: BrowserContext;
  page: Page;
  /** Popups opened (sign-in windows) so far */
  popupsOpened(): number;
  /** The browser console and page errors, in order */
  browserLog: string[];
  /** Requests the browser tried to send off this machine (blocked) */
  externalRequests: string[];
  /** Closes the browser, stops backend and simulator, removes temp files. Idempotent. */
  stop(): Promise<void>;
}

function run(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', chunk => (output += chunk));
    child.stderr!.on('data', chunk => (output += chunk));
    child.once('error', reject);
    child.once('exit', code =>
      code === 0
        ? resolve(output)
        : reject(
            new Error(
              `${command} ${args.join(' ')} failed (${code}):\n${output}`,
            ),
          ),
    );
  });
}

function sleep(ms: number) {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** Builds the app as production serves it (`backstage-cli package build`) */
export async function buildApp() {
  await run(
    process.execPath,
    [require.resolve('@backstage/cli/bin/backstage-cli'), 'package', 'build'],
    appDir,
  );
  if (!fs.existsSync(path.join(appDir, 'dist', 'index.html'))) {
    throw new Error('backstage-cli package build wrote no dist/index.html');
  }
}

/**
 * Starts simulator, backend and Chromium, once the app is built. Ready when
 * the backend serves the app and the catalog knows alice. On failure,
 * whatever had started is stopped again.
 */
export async function startAppStack(): Promise<AppStack> {
  const chromiumOptions = chromiumLaunchOptions();
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'app-browser-test-'));
  let simulator: BitbucketSimulator | undefined;
  let backend: BackendProcess | undefined;
  let context: BrowserContext | undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await context?.close().catch(() => undefined);
    await backend?.stop();
    await simulator?.stop();
    fs.rmSync(tempDir, { recursive: true, force: true });
  };

  try {
    const port = await freePort();
    const baseUrl = `http://localhost:${port}`;
    simulator = await startSimulatedBitbucket(baseUrl);

    const testConfig = path.join(tempDir, 'app-config.browser-test.yaml');
    const simulated = simulatedBitbucketConfig(simulator, port);
    fs.writeFileSync(
      testConfig,
      JSON.stringify({
        ...simulated,
        app: { baseUrl },
        backend: {
          ...simulated.backend,
          cors: { origin: baseUrl },
          // the app is served by the backend, under its CSP: allow the avatars
          csp: { 'img-src': ["'self'", 'data:', simulator.url] },
        },
      }),
    );
    backend = startBackendProcess({
      name: 'backend',
      backendDir,
      port,
      configFiles: [
        path.join(repoRoot, 'app-config.yaml'),
        path.join(repoRoot, 'app-config.simulator.yaml'),
        testConfig,
      ],
      env: { NODE_ENV: 'production', LOG_LEVEL: 'info' },
    });

    const sim = simulator;
    const deadline = Date.now() + 90_000;
    for (;;) {
      try {
        const index = await fetch(
          `${baseUrl.replace('localhost', '127.0.0.1')}/`,
        );
        const html = await index.text();
        if (index.ok && html.includes('<div id="root">')) {
          const attempt = await signInThroughBackstage({
            backendUrl: `http://127.0.0.1:${port}`,
            appOrigin: baseUrl,
            consent: url => sim.approve(url, 'alice-bb'),
          });
          if (attempt.response?.backstageIdentity) break;
        }
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline || !backend.running()) {
        throw new Error(`backend did not become ready:\n${backend.output()}`);
      }
      await sleep(300);
    }
    simulator.resetRequestCounts();

    const ctx = await chromium.launchPersistentContext(
      path.join(tempDir, 'chromium-profile'),
      { ...chromiumOptions, viewport: { width: 1280, height: 800 } },
    );
    context = ctx;
    // Everything stays on this machine: anything else is blocked and reported
    const externalRequests: string[] = [];
    await ctx.route(
      url => !['localhost', '127.0.0.1'].includes(url.hostname),
      route => {
        externalRequests.push(route.request().url());
        return route.abort();
      },
    );
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    let popups = 0;
    ctx.on('page', () => popups++);
    const browserLog: string[] = [];
    page.on('console', message =>
      browserLog.push(`${message.type()}: ${message.text()}`),
    );
    page.on('pageerror', error => browserLog.push(`pageerror: ${error}`));

    return {
      baseUrl,
      simulator,
      backend,
      context: ctx,
      page,
      popupsOpened: () => popups,
      browserLog,
      externalRequests,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
