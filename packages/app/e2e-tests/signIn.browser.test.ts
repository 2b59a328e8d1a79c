/*
 * Signing in to the built app with Bitbucket, in headless Chromium.
 *
 * The test builds packages/app, starts an in-process Bitbucket simulator and
 * the real packages/backend (which serves the built app through
 * @backstage/plugin-app-backend, so UI and API share one origin) on a free
 * port, and drives the popup flow with playwright-core. Every server listens
 * on 127.0.0.1 only; afterAll stops all of it, also when a test failed.
 *
 * Screenshots go to test-artifacts/ at the repo root. With
 * UPDATE_DOCS_SCREENSHOTS=true the sign-in page is also written to
 * docs/sign-in-page.png.
 */
import {
  BitbucketSimulator,
  startBitbucketSimulator,
} from '@bitbucket-signin/bitbucket-cloud-simulator';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BrowserContext, Page, chromium } from 'playwright-core';
import {
  BackendProcess,
  freePort,
  signInThroughBackstage,
  startBackendProcess,
} from '@bitbucket-signin/test-kit';

const CHROMIUM = process.env.E2E_CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

const appDir = path.resolve(__dirname, '..');
const backendDir = path.resolve(appDir, '../backend');
const repoRoot = path.resolve(appDir, '../..');
const artifactsDir = path.join(repoRoot, 'test-artifacts');
const docsScreenshot = path.join(repoRoot, 'docs', 'sign-in-page.png');

const SIGN_IN_MESSAGE = 'Sign in using Bitbucket';

jest.setTimeout(60_000);

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

describe('the app signing in with Bitbucket in headless Chromium', () => {
  let simulator: BitbucketSimulator | undefined;
  let backend: BackendProcess | undefined;
  let baseUrl: string;
  let tempDir: string | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  let popupsOpened = 0;
  const browserLog: string[] = [];
  /** Requests the browser tried to send off this machine (blocked) */
  const externalRequests: string[] = [];

  /** Saves a screenshot under test-artifacts/ and returns its path */
  async function screenshot(name: string, target: Page = page) {
    const file = path.join(artifactsDir, `${name}.png`);
    await target.screenshot({ path: file, fullPage: true });
    return file;
  }

  /** Runs a test body; on failure keeps a screenshot and the backend log tail */
  async function step(name: string, body: () => Promise<void>) {
    try {
      await body();
    } catch (error) {
      await screenshot(`failure-${name}`).catch(() => undefined);
      const details = `\n\n--- backend log (tail) ---\n${(
        backend?.output() ?? ''
      )
        .split('\n')
        .slice(-40)
        .join('\n')}\n--- browser console (tail) ---\n${browserLog
        .slice(-20)
        .join('\n')}`;
      const err = error as Error;
      err.message += details;
      if (err.stack) err.stack += details;
      throw error;
    }
  }

  /** Clicks "Sign in", answers the simulator's consent page in the popup */
  async function signInWithPopup(consentTestId: string) {
    const popupPromise = page.waitForEvent('popup');
    await page.getByRole('button', { name: /sign in/i }).click();
    const popup = await popupPromise;
    const closed = popup.waitForEvent('close');
    const choice = popup.getByTestId(consentTestId);
    await choice.waitFor();
    return { popup, choice, closed };
  }

  async function expectSignInPage() {
    await page.getByText(SIGN_IN_MESSAGE).waitFor();
    await expectEnabled(page.getByRole('button', { name: /sign in/i }));
  }

  async function expectEnabled(locator: ReturnType<Page['getByRole']>) {
    expect(await locator.isEnabled()).toBe(true);
  }

  async function alertText() {
    const alert = page.getByRole('alert');
    await alert.waitFor();
    return (await alert.innerText()).trim();
  }

  async function dismissAlert() {
    await page.getByTestId('error-button-close').click();
    await page.getByRole('alert').waitFor({ state: 'detached' });
  }

  beforeAll(async () => {
    // Nothing is skipped: without the browser the suite fails, and says why
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}. The browser tests need the Debian package "chromium" ` +
          `(apt-get install chromium) or E2E_CHROMIUM_PATH pointing at a Chromium binary.`,
      );
    }
    fs.mkdirSync(artifactsDir, { recursive: true });
    tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'app-browser-test-'));

    // The app as production serves it
    await run(
      process.execPath,
      [require.resolve('@backstage/cli/bin/backstage-cli'), 'package', 'build'],
      appDir,
    );
    if (!fs.existsSync(path.join(appDir, 'dist', 'index.html'))) {
      throw new Error('backstage-cli package build wrote no dist/index.html');
    }

    const port = await freePort();
    baseUrl = `http://localhost:${port}`;
    simulator = await startBitbucketSimulator({
      consumers: [
        {
          key: 'simulator-client-id',
          secret: 'simulator-client-secret',
          callbackUrl: `${baseUrl}/api/auth/bitbucket/handler/frame`,
          scopes: ['account', 'email'],
          // the org provider reads acme as alice-bb, an owner
          isPrivate: true,
          owner: 'alice-bb',
        },
      ],
    });

    const testConfig = path.join(tempDir, 'app-config.browser-test.yaml');
    fs.writeFileSync(
      testConfig,
      JSON.stringify({
        app: { baseUrl },
        backend: {
          baseUrl,
          listen: { port, host: '127.0.0.1' },
          cors: { origin: baseUrl },
          // the app is served by the backend, under its CSP: allow the avatars
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
        catalog: {
          providers: {
            bitbucketCloudOrg: {
              acme: {
                tokenUrl: simulator.tokenUrl,
                apiBaseUrl: simulator.apiBaseUrl,
              },
            },
          },
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

    // Ready once it serves the app and the catalog knows alice
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

    context = await chromium.launchPersistentContext(
      path.join(tempDir, 'chromium-profile'),
      {
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_ARGS,
        viewport: { width: 1280, height: 800 },
      },
    );
    // Everything stays on this machine: anything else is blocked and reported
    await context.route(
      url => !['localhost', '127.0.0.1'].includes(url.hostname),
      route => {
        externalRequests.push(route.request().url());
        return route.abort();
      },
    );
    context.on('page', () => popupsOpened++);
    page = context.pages()[0] ?? (await context.newPage());
    popupsOpened = 0;
    page.on('console', message =>
      browserLog.push(`${message.type()}: ${message.text()}`),
    );
    page.on('pageerror', error => browserLog.push(`pageerror: ${error}`));
  }, 150_000); // app build + backend start

  afterAll(async () => {
    fs.mkdirSync(artifactsDir, { recursive: true });
    if (backend) {
      fs.writeFileSync(
        path.join(artifactsDir, 'browser-test-backend.log'),
        backend.output(),
      );
    }
    await context?.close().catch(() => undefined);
    await backend?.stop();
    await simulator?.stop();
    if (tempDir) {
      fs.rmSync(tempDir, { recursive: true, force: true });
    }
  }, 30_000);

  it('signs in as alice-bb through the popup and shows who she is', () =>
    step('sign-in', async () => {
      await page.goto(baseUrl);
      await expectSignInPage();
      const signInShot = await screenshot('sign-in-page');
      if (process.env.UPDATE_DOCS_SCREENSHOTS === 'true') {
        fs.mkdirSync(path.dirname(docsScreenshot), { recursive: true });
        fs.copyFileSync(signInShot, docsScreenshot);
      }

      const { popup, choice, closed } = await signInWithPopup(
        'consent-user-alice-bb',
      );
      // the popup shows the simulator's consent page
      expect(new URL(popup.url()).origin).toBe(simulator!.url);
      await screenshot('consent-page', popup);
      await choice.click();
      await closed;

      await page.getByTestId('display-name').waitFor();
      expect(await page.getByTestId('display-name').innerText()).toBe(
        'Alice Anderson',
      );
      expect(await page.getByTestId('user-entity-ref').innerText()).toBe(
        'user:default/alice',
      );
      const ownership = await page.getByTestId('ownership-ref').allInnerTexts();
      expect(ownership).toEqual(
        expect.arrayContaining([
          'user:default/alice',
          'group:default/platform',
        ]),
      );
      const avatar = page.locator('img[alt="Alice Anderson"]');
      expect(await avatar.getAttribute('src')).toBe(
        `${simulator!.url}/avatars/alice-bb.svg`,
      );
      await page.waitForFunction(
        () => {
          const img = document.querySelector<HTMLImageElement>(
            'img[alt="Alice Anderson"]',
          );
          return img?.complete && img.naturalWidth > 0;
        },
        undefined,
        { timeout: 10_000 },
      );
      await screenshot('signed-in-page');
    }));

  it('is still signed in after a reload, through the refresh cookie', () =>
    step('reload', async () => {
      const authorizeBefore =
        simulator!.requestCounts()['/site/oauth2/authorize'] ?? 0;
      const popupsBefore = popupsOpened;
      const refresh = page.waitForResponse(response =>
        response.url().startsWith(`${baseUrl}/api/auth/bitbucket/refresh`),
      );

      await page.reload();

      expect((await refresh).status()).toBe(200);
      await page.getByTestId('display-name').waitFor();
      expect(await page.getByTestId('display-name').innerText()).toBe(
        'Alice Anderson',
      );
      expect(await page.getByTestId('user-entity-ref').innerText()).toBe(
        'user:default/alice',
      );
      // no new popup, no new visit to the consent page
      expect(popupsOpened).toBe(popupsBefore);
      expect(simulator!.requestCounts()['/site/oauth2/authorize'] ?? 0).toBe(
        authorizeBefore,
      );
    }));

  it('signs out, and a reload does not sign back in', () =>
    step('sign-out', async () => {
      await page.getByTestId('sign-out').click();
      await expectSignInPage();

      await page.reload();
      await expectSignInPage();
      expect(await page.getByTestId('display-name').count()).toBe(0);
    }));

  it('shows the resolver error for a Bitbucket user missing from the catalog (grace-bb)', () =>
    step('not-in-catalog', async () => {
      const { choice, closed } = await signInWithPopup('consent-user-grace-bb');
      await choice.click();
      await closed;

      expect(await alertText()).toContain(
        'Your Bitbucket account grace-bb is not in this Backstage catalog yet; ask your Backstage admin to add you.',
      );
      await screenshot('sign-in-error-not-in-catalog');
      // still on the sign-in page, and it still works
      await expectSignInPage();
      await dismissAlert();
    }));

  it('says so when the user denies consent, and stays usable', () =>
    step('consent-denied', async () => {
      const denied = await signInWithPopup('consent-deny');
      await denied.choice.click();
      await denied.closed;

      expect(await alertText()).toContain('Bitbucket sign-in was declined');
      await screenshot('sign-in-error-denied');
      await expectSignInPage();
      await dismissAlert();

      // the page still signs in afterwards
      const again = await signInWithPopup('consent-user-bob-bb');
      await again.choice.click();
      await again.closed;
      await page.getByTestId('display-name').waitFor();
      expect(await page.getByTestId('display-name').innerText()).toBe(
        'Bob Brown',
      );
      expect(await page.getByTestId('user-entity-ref').innerText()).toBe(
        'user:default/bob',
      );
    }));

  it('asks to sign in again once Bitbucket revoked the refresh token', () =>
    step('refresh-revoked', async () => {
      // bob-bb is signed in from the previous step; he removes the app in Bitbucket
      simulator!.revokeRefreshTokens('bob-bb');
      const refresh = page.waitForResponse(response =>
        response.url().startsWith(`${baseUrl}/api/auth/bitbucket/refresh`),
      );

      await page.reload();

      expect((await refresh).status()).toBe(401);
      await expectSignInPage();
      expect(await page.getByTestId('display-name').count()).toBe(0);
    }));

  it('sent no request off this machine', () => {
    expect(externalRequests).toEqual([]);
  });
});
