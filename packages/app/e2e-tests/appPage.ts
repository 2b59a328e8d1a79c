/*
 * What a person does in the app, for the browser test and the docs
 * screenshots: sign in through the popup, read the toast a failed sign-in
 * shows, open the settings and their own catalog page.
 */
import { Locator, Page } from 'playwright-core';
import { demoUsers } from '@bitbucket-signin/bitbucket-cloud-simulator';
import { bitbucketUserEntityName } from '@bitbucket-signin/plugin-bitbucket-cloud-common';

export const SIGN_IN_MESSAGE = 'Sign in using Bitbucket';

/** A member of acme's User, which the org provider names by the Bitbucket uuid */
export const orgUserRef = (username: string) =>
  `user:default/${bitbucketUserEntityName(
    demoUsers.find(user => user.username === username)!.uuid,
  )}`;
export const ALICE_REF = orgUserRef('alice-bb');
export const ALICE_PAGE = `/catalog/default/user/${ALICE_REF.split('/')[1]}`;

/** Clicks "Sign in"; the popup shows the simulator's consent page */
export async function signInWithPopup(page: Page, consentTestId: string) {
  const popupPromise = page.waitForEvent('popup');
  await page.getByRole('button', { name: /sign in/i }).click();
  const popup = await popupPromise;
  const closed = popup.waitForEvent('close');
  const choice = popup.getByTestId(consentTestId);
  await choice.waitFor();
  return { popup, choice, closed };
}

/** Waits for the sign-in page with its Bitbucket button enabled */
export async function expectSignInPage(page: Page) {
  await page.getByText(SIGN_IN_MESSAGE).waitFor();
  const button = page.getByRole('button', { name: /sign in/i });
  if (!(await button.isEnabled())) {
    throw new Error('the sign-in button is disabled');
  }
}

/** The toast the app shows for an error (its alert display) */
export function toast(page: Page): Locator {
  return page.getByRole('alertdialog');
}

export async function toastText(page: Page) {
  await toast(page).first().waitFor();
  return (await toast(page).first().innerText()).trim();
}

/** Closes every toast, one at a time, as a person would */
export async function dismissToasts(page: Page) {
  for (let left = await toast(page).count(); left > 0; ) {
    await toast(page)
      .first()
      .getByRole('button', { name: 'Close' })
      .click({ timeout: 5_000 });
    // the toast leaves with an animation
    await page.waitForFunction(
      before =>
        document.querySelectorAll('[role="alertdialog"]').length < before,
      left,
      { timeout: 5_000 },
    );
    left = await toast(page).count();
  }
}

/** The sidebar, once the app shell is shown (after sign-in) */
export function sidebar(page: Page): Locator {
  return page.getByRole('navigation', { name: 'sidebar nav' });
}

/** Opens the settings page through the sidebar */
export async function openSettings(page: Page) {
  await sidebar(page).locator('a[href="/settings"]').first().click();
  await page.getByTestId('user-settings-menu').waitFor();
}

/** The settings page's profile card */
export function profileCard(page: Page): Locator {
  return page
    .locator('.MuiCard-root')
    .filter({ has: page.getByTestId('user-settings-menu') });
}

/** The settings page's identity card: the user entity and ownership refs */
export function identityCard(page: Page): Locator {
  return page
    .locator('.MuiCard-root')
    .filter({ hasText: 'Ownership Entities' });
}

/**
 * From the settings page, follows the identity card's link to the signed-in
 * user's own entity page in the catalog
 */
export async function openOwnUserPage(page: Page, entityPath: string) {
  await openSettings(page);
  await identityCard(page).locator(`a[href="${entityPath}"]`).first().click();
  await page.waitForURL(url => url.pathname === entityPath);
}

/** The entity page's user profile card (org plugin), once it shows groups */
export function userProfileCard(page: Page, displayName: string): Locator {
  return page
    .locator('article')
    .filter({ has: page.getByText(displayName, { exact: true }) })
    .filter({ has: page.locator('a[href^="/catalog/default/group/"]') })
    .first();
}
