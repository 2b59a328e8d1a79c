/*
 * Signing in to the built app with Bitbucket, in headless Chromium.
 *
 * The test builds packages/app, starts an in-process Bitbucket simulator and
 * the real packages/backend (which serves the built app through
 * @backstage/plugin-app-backend, so UI and API share one origin) on a free
 * port, and drives the popup flow with playwright-core (see stack.ts). Every
 * server listens on 127.0.0.1 only; afterAll stops all of it, also when a
 * test failed.
 *
 * Screenshots and the backend log go to test-artifacts/ at the repo root,
 * never to docs/ (`yarn workspace app docs:screenshots` makes those).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Page } from 'playwright-core';
import { AppStack, buildApp, repoRoot, startAppStack } from './stack';
import {
  dismissToasts,
  expectSignInPage,
  identityCard,
  openOwnUserPage,
  openSettings,
  profileCard,
  sidebar,
  signInWithPopup,
  toastText,
  userProfileCard,
  ALICE_PAGE,
  ALICE_REF,
  orgUserRef,
} from './appPage';

const artifactsDir = path.join(repoRoot, 'test-artifacts');

jest.setTimeout(60_000);

describe('the app signing in with Bitbucket in headless Chromium', () => {
  let stack: AppStack | undefined;
  let page: Page;

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
        stack?.backend.output() ?? ''
      )
        .split('\n')
        .slice(-40)
        .join('\n')}\n--- browser console (tail) ---\n${(
        stack?.browserLog ?? []
      )
        .slice(-20)
        .join('\n')}`;
      const err = error as Error;
      err.message += details;
      if (err.stack) err.stack += details;
      throw error;
    }
  }

  /** The settings page shows who is signed in: name, email, entity, ownership */
  async function expectSignedInAs(user: {
    displayName: string;
    email?: string;
    entityRef: string;
    ownership?: string[];
  }) {
    await openSettings(page);
    const profile = profileCard(page);
    await profile.getByText(user.displayName, { exact: true }).waitFor();
    if (user.email) {
      await profile.getByText(user.email, { exact: true }).waitFor();
    }
    // the identity card links the user entity and what it owns through
    const [kind, rest] = user.entityRef.split(':');
    const [namespace, name] = rest.split('/');
    const identity = identityCard(page);
    await identity
      .locator(`a[href="/catalog/${namespace}/${kind}/${name}"]`)
      .first()
      .waitFor();
    for (const ref of user.ownership ?? []) {
      const [k, r] = ref.split(':');
      const [ns, n] = r.split('/');
      await identity
        .locator(`a[href="/catalog/${ns}/${k}/${n}"]`)
        .first()
        .waitFor();
    }
  }

  beforeAll(async () => {
    fs.mkdirSync(artifactsDir, { recursive: true });
    // The app as production serves it
    await buildApp();
    stack = await startAppStack();
    page = stack.page;
  }, 150_000); // app build + backend start

  afterAll(async () => {
    fs.mkdirSync(artifactsDir, { recursive: true });
    if (stack) {
      fs.writeFileSync(
        path.join(artifactsDir, 'browser-test-backend.log'),
        stack.backend.output(),
      );
    }
    await stack?.stop();
  }, 30_000);

  it('signs in as alice-bb through the popup and shows who she is', () =>
    step('sign-in', async () => {
      const { baseUrl, simulator } = stack!;
      await page.goto(baseUrl);
      await expectSignInPage(page);
      await screenshot('sign-in-page');

      const { popup, choice, closed } = await signInWithPopup(
        page,
        'consent-user-alice-bb',
      );
      // the popup shows the simulator's consent page
      expect(new URL(popup.url()).origin).toBe(simulator.url);
      await screenshot('consent-page', popup);
      await choice.click();
      await closed;

      // the app shell: the template's sidebar, without search and scaffolder
      await sidebar(page).locator('a[href="/settings"]').first().waitFor();
      const nav = (await sidebar(page).textContent()) ?? '';
      expect(nav).toContain('Catalog');
      expect(nav).toContain('Settings');
      expect(nav).not.toContain('Search');
      expect(nav).not.toContain('Create');

      await expectSignedInAs({
        displayName: 'Alice Anderson',
        email: 'alice@example.com',
        entityRef: ALICE_REF,
        ownership: ['group:default/platform'],
      });
      const avatar = profileCard(page).locator('img[alt="Profile picture"]');
      expect(await avatar.getAttribute('src')).toBe(
        `${simulator.url}/avatars/alice-bb.svg`,
      );
      await page.waitForFunction(
        () => {
          const imgs = document.querySelectorAll<HTMLImageElement>(
            'img[alt="Profile picture"]',
          );
          return (
            imgs.length > 0 &&
            [...imgs].every(img => img.complete && img.naturalWidth > 0)
          );
        },
        undefined,
        { timeout: 10_000 },
      );
      await screenshot('signed-in-settings');
    }));

  it('lists Bitbucket under the authentication providers in the settings', () =>
    step('auth-providers', async () => {
      await openSettings(page);
      await page.getByRole('tab', { name: 'Authentication Providers' }).click();
      await page.waitForURL(/\/settings\/auth-providers$/);
      await page.getByText('Available Providers').waitFor();
      const bitbucket = page
        .locator('li')
        .filter({ hasText: 'Provides authentication towards Bitbucket APIs' });
      await bitbucket.waitFor();
      expect(await bitbucket.innerText()).toContain('Bitbucket');
      await screenshot('settings-auth-providers');
    }));

  it('takes alice from her settings to her own User entity in the catalog, with her groups', () =>
    step('own-user-page', async () => {
      // her settings show her name and email ...
      await openSettings(page);
      const profile = profileCard(page);
      await profile.getByText('alice@example.com', { exact: true }).waitFor();
      expect(await profile.innerText()).toContain('Alice Anderson');

      // ... and link her User entity, which the org provider made
      await openOwnUserPage(page, ALICE_PAGE);
      expect(new URL(page.url()).pathname).toBe(ALICE_PAGE);
      const heading = page.getByRole('heading', {
        name: 'Alice Anderson',
        exact: true,
      });
      await heading.first().waitFor();
      const card = userProfileCard(page, 'Alice Anderson');
      await card.locator('a[href="/catalog/default/group/platform"]').waitFor();
      expect(await card.innerText()).toContain('Alice Anderson');
      // her groups: acme's (org provider) and the hand-written team
      const groups = card.locator('a[href^="/catalog/default/group/"]');
      expect((await groups.allInnerTexts()).map(g => g.trim()).sort()).toEqual([
        'acme',
        'acme owners',
        'platform',
      ]);
      expect(
        await groups.evaluateAll(links =>
          links.map(link => link.getAttribute('href')).sort(),
        ),
      ).toEqual([
        '/catalog/default/group/acme',
        '/catalog/default/group/acme-owners',
        '/catalog/default/group/platform',
      ]);
      await screenshot('catalog-user-page');

      // the catalog's list of Users has her too
      await sidebar(page).locator('a[href="/"]').first().click();
      await page.goto(`${stack!.baseUrl}/?filters%5Bkind%5D=user`);
      const users = page.getByRole('table').first();
      await users.locator(`a[href="${ALICE_PAGE}"]`).waitFor();
      expect(await users.locator(`a[href="${ALICE_PAGE}"]`).innerText()).toBe(
        'Alice Anderson',
      );
    }));

  it('is still signed in after a reload, through the refresh cookie', () =>
    step('reload', async () => {
      const { baseUrl, simulator } = stack!;
      await openSettings(page);
      const authorizeBefore =
        simulator.requestCounts()['/site/oauth2/authorize'] ?? 0;
      const popupsBefore = stack!.popupsOpened();
      const refresh = page.waitForResponse(response =>
        response.url().startsWith(`${baseUrl}/api/auth/bitbucket/refresh`),
      );

      await page.reload();

      expect((await refresh).status()).toBe(200);
      await expectSignedInAs({
        displayName: 'Alice Anderson',
        email: 'alice@example.com',
        entityRef: ALICE_REF,
      });
      // no new popup, no new visit to the consent page
      expect(stack!.popupsOpened()).toBe(popupsBefore);
      expect(simulator.requestCounts()['/site/oauth2/authorize'] ?? 0).toBe(
        authorizeBefore,
      );
    }));

  it('signs out, and a reload does not sign back in', () =>
    step('sign-out', async () => {
      await openSettings(page);
      await page.getByTestId('user-settings-menu').click();
      await page.getByTestId('sign-out').click();
      await expectSignInPage(page);

      await page.reload();
      await expectSignInPage(page);
      expect(await sidebar(page).count()).toBe(0);
    }));

  it('shows the resolver error for a Bitbucket user missing from the catalog (grace-bb)', () =>
    step('not-in-catalog', async () => {
      const { choice, closed } = await signInWithPopup(
        page,
        'consent-user-grace-bb',
      );
      await choice.click();
      await closed;

      expect(await toastText(page)).toContain(
        'Your Bitbucket account grace-bb is not in this Backstage catalog yet; ask your Backstage admin to add you.',
      );
      await screenshot('sign-in-error-not-in-catalog');
      // still on the sign-in page, and it still works
      await expectSignInPage(page);
      await dismissToasts(page);
    }));

  it('says so when the user denies consent, and stays usable', () =>
    step('consent-denied', async () => {
      const denied = await signInWithPopup(page, 'consent-deny');
      await denied.choice.click();
      await denied.closed;

      expect(await toastText(page)).toContain('Bitbucket sign-in was declined');
      await screenshot('sign-in-error-denied');
      await expectSignInPage(page);
      await dismissToasts(page);

      // the page still signs in afterwards
      const again = await signInWithPopup(page, 'consent-user-bob-bb');
      await again.choice.click();
      await again.closed;
      await expectSignedInAs({
        displayName: 'Bob Brown',
        entityRef: orgUserRef('bob-bb'),
      });
    }));

  it('asks to sign in again once Bitbucket revoked the refresh token', () =>
    step('refresh-revoked', async () => {
      const { baseUrl, simulator } = stack!;
      // bob-bb is signed in from the previous step; he removes the app in Bitbucket
      simulator.revokeRefreshTokens('bob-bb');
      const refresh = page.waitForResponse(response =>
        response.url().startsWith(`${baseUrl}/api/auth/bitbucket/refresh`),
      );

      await page.reload();

      expect((await refresh).status()).toBe(401);
      await expectSignInPage(page);
      expect(await sidebar(page).count()).toBe(0);
    }));

  it('sent no request off this machine', () => {
    expect(stack!.externalRequests).toEqual([]);
  });
});
