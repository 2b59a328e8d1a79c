import { chromiumLaunchOptions } from '@bitbucket-signin/test-kit';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { repoRoot } from './processes';
import { tail } from './report';
import { DEMO_USER, RunningApp } from './startApp';

const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'stock-app');
/** Nothing the browser asks for leaves this machine */
const local = (url: URL) => ['127.0.0.1', 'localhost'].includes(url.hostname);

/**
 * The install doc's last step: Sign in on the app's page, pick the demo user
 * on the simulator's consent page in the popup; the settings page then shows
 * who signed in and links to their User. On failure: the page's text, the
 * browser's errors, the commands' output and a screenshot.
 */
export async function signInWithChromium(label: string, running: RunningApp) {
  const browser = await chromium.launch(chromiumLaunchOptions());
  const page = await browser.newPage();
  await page.context().route(
    url => !local(url),
    route => route.abort(),
  );
  const errors: string[] = [];
  page.on('pageerror', error => errors.push(error.message));
  page.on('console', m => m.type() === 'error' && errors.push(m.text()));
  const entity = running.userEntityRef.replace(/^user:(.+)\//, '/$1/user/');
  const timeout = 60_000;
  try {
    await page.goto(running.app);
    const popup = page.waitForEvent('popup', { timeout: 120_000 });
    await page.getByRole('button', { name: /sign in/i }).click({ timeout });
    const consent = await popup;
    const closed = consent.waitForEvent('close', { timeout });
    await consent.getByTestId(`consent-user-${DEMO_USER}`).click({ timeout });
    await closed;
    await page.locator('a[href$="/settings"]').first().click({ timeout });
    const name = page.getByText(running.displayName, { exact: true });
    await name.first().waitFor({ timeout });
    await page.locator(`a[href$="${entity}"]`).first().waitFor({ timeout });
    return `the settings page shows ${running.displayName} and links to ${entity}`;
  } catch (error) {
    const shot = path.join(ARTIFACTS, `${label}-failure.png`);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    const text = await page.innerText('body').catch(() => '');
    throw new Error(
      `${(error as Error).message.split('\n')[0]}\n--- page ---\n` +
        `${tail(text, 20)}\n--- browser errors ---\n${errors.join('\n')}\n` +
        `--- simulator, yarn start ---\n${running.log()}\nscreenshot: ${shot}`,
    );
  } finally {
    await browser.close();
  }
}
