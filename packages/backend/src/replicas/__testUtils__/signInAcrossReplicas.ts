import { BitbucketSimulator } from '@bitbucket-signin/bitbucket-cloud-simulator';
import {
  BackstageSignInOutcome,
  signInThroughBackstage,
} from '@bitbucket-signin/test-kit';

/**
 * A sign-in as a load balancer without sticky sessions may route it: `start`
 * on one replica, Bitbucket's redirect back (`handler/frame`) on another.
 *
 * `signInThroughBackstage` sends both steps to one `backendUrl`, so this
 * calls `start` on `startOn` itself, then lets the helper send the callback
 * to `callbackOn` with the authorize URL and nonce cookie from `startOn`. (The
 * helper also calls `start` on `callbackOn` first; its redirect and cookie
 * are ignored.)
 */
export async function signInAcrossReplicas(options: {
  startOn: string;
  callbackOn: string;
  username: string;
  simulator: BitbucketSimulator;
  appOrigin: string;
  env: string;
}): Promise<BackstageSignInOutcome> {
  const { startOn, callbackOn, username, simulator, appOrigin, env } = options;
  if (startOn === callbackOn) {
    return signInThroughBackstage({
      backendUrl: startOn,
      appOrigin,
      env,
      consent: url => simulator.approve(url, username),
    });
  }
  const start = await fetch(
    `${startOn}/api/auth/bitbucket/start?env=${encodeURIComponent(
      env,
    )}&origin=${encodeURIComponent(appOrigin)}`,
    { redirect: 'manual' },
  );
  await start.text();
  const authorizeUrl = start.headers.get('location');
  if (start.status !== 302 || !authorizeUrl) {
    throw new Error(`start on ${startOn} answered ${start.status}`);
  }
  // What a browser would send back: `start` first deletes any old nonce
  // (Max-Age=0), then sets the new one
  const nonceCookies = start.headers
    .getSetCookie()
    .filter(cookie => !/;\s*max-age=0\s*(;|$)/i.test(cookie))
    .map(cookie => cookie.split(';')[0].trim());
  return signInThroughBackstage({
    backendUrl: callbackOn,
    appOrigin,
    env,
    consent: () => simulator.approve(authorizeUrl, username),
    overrideCookies: nonceCookies,
  });
}
