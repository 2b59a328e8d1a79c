/*
 * The screenshots in docs/screenshots/, made against the same stack as the
 * browser test (stack.ts): `yarn workspace app docs:screenshots`.
 *
 *   sign-in-page.png       the app's sign-in page
 *   consent-page.png       the Bitbucket simulator's consent page (the popup)
 *   catalog-user-page.png  alice's own User entity page in the catalog
 *   sign-in-failed.png     grace-bb, who is not in the catalog, signing in
 *
 * Each is one 1280x800 viewport. Plain Node with Backstage's TypeScript
 * transform; everything it starts listens on 127.0.0.1 and is stopped.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Page } from 'playwright-core';
import { buildApp, repoRoot, startAppStack } from './stack';
import {
  dismissToasts,
  expectSignInPage,
  openOwnUserPage,
  openSettings,
  signInWithPopup,
  toastText,
  userProfileCard,
  ALICE_PAGE,
} from './appPage';

const outDir = path.join(repoRoot, 'docs', 'screenshots');
const VIEWPORT = { width: 1280, height: 800 };
const MAX_BYTES = 250 * 1024;

async function shot(target: Page, name: string) {
  const file = path.join(outDir, name);
  await target.screenshot({ path: file, animations: 'disabled' });
  const bytes = fs.statSync(file).size;
  // eslint-disable-next-line no-console
  console.log(
    `${path.relative(repoRoot, file)}: ${Math.round(bytes / 1024)} KB`,
  );
  if (bytes > MAX_BYTES) {
    throw new Error(`${name} is ${bytes} bytes, over ${MAX_BYTES}`);
  }
}

/** Every image on the page has loaded (avatars) */
async function imagesLoaded(page: Page) {
  await page.waitForFunction(
    () =>
      [...document.images].every(img => img.complete && img.naturalWidth > 0),
    undefined,
    { timeout: 10_000 },
  );
}

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  await buildApp();
  const stack = await startAppStack();
  const { page, baseUrl } = stack;
  try {
    await page.setViewportSize(VIEWPORT);
    await page.goto(baseUrl);
    await expectSignInPage(page);
    await shot(page, 'sign-in-page.png');

    const alice = await signInWithPopup(page, 'consent-user-alice-bb');
    await alice.popup.setViewportSize(VIEWPORT);
    await shot(alice.popup, 'consent-page.png');
    await alice.choice.click();
    await alice.closed;

    await openOwnUserPage(page, ALICE_PAGE);
    const card = userProfileCard(page, 'Alice Anderson');
    await card.locator('a[href="/catalog/default/group/platform"]').waitFor();
    await page.getByText('hasMember').first().waitFor();
    await imagesLoaded(page);
    await page.mouse.move(VIEWPORT.width - 1, VIEWPORT.height - 1);
    await page.waitForTimeout(500);
    await shot(page, 'catalog-user-page.png');

    await openSettings(page);
    await page.getByTestId('user-settings-menu').click();
    await page.getByTestId('sign-out').click();
    await expectSignInPage(page);

    const grace = await signInWithPopup(page, 'consent-user-grace-bb');
    await grace.choice.click();
    await grace.closed;
    const text = await toastText(page);
    if (!text.includes('grace-bb is not in this Backstage catalog yet')) {
      throw new Error(`unexpected sign-in failure: ${text}`);
    }
    await page.waitForTimeout(800); // the toast's entry animation
    await shot(page, 'sign-in-failed.png');
    await dismissToasts(page);

    if (stack.externalRequests.length > 0) {
      throw new Error(
        `requests off this machine: ${stack.externalRequests.join(', ')}`,
      );
    }
  } finally {
    await stack.stop();
  }
}

main().catch(error => {
  // eslint-disable-next-line no-console
  console.error(error);
  process.exitCode = 1;
});
