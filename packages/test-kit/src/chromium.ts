import fs from 'node:fs';

/**
 * How the browser tests run Chromium: Debian's package (or
 * E2E_CHROMIUM_PATH), headless, with nothing of its own that reaches the
 * internet. Options for playwright-core's `chromium.launch*`.
 */
export function chromiumLaunchOptions() {
  const executablePath = process.env.E2E_CHROMIUM_PATH ?? '/usr/bin/chromium';
  // Nothing is skipped: without the browser the run fails, and says why
  if (!fs.existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}. The browser tests need the Debian package "chromium" ` +
        `(apt-get install chromium) or E2E_CHROMIUM_PATH pointing at a Chromium binary.`,
    );
  }
  return {
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  };
}
