/**
 * Drives a Backstage sign-in over HTTP the way the browser popup does:
 * `start`, the Bitbucket consent page (answered through the simulator), then
 * the `handler/frame` callback, returning what the popup would receive.
 * Shared by the module tests, the real-backend tests and the benchmark.
 */
import { performance } from 'node:perf_hooks';

export interface BackstageAuthResponse {
  profile: { email?: string; displayName?: string; picture?: string };
  providerInfo: {
    accessToken: string;
    scope: string;
    expiresInSeconds?: number;
  };
  backstageIdentity?: {
    token: string;
    identity: {
      type: 'user';
      userEntityRef: string;
      ownershipEntityRefs: string[];
    };
  };
}

export interface BackstageSignInOutcome {
  /** HTTP status of the callback (`handler/frame`) response */
  status: number;
  response?: BackstageAuthResponse;
  error?: { name: string; message: string };
  /** `name=value` of every cookie the callback set, e.g. the refresh token */
  cookies: string[];
  /** The callback's body as sent, for checks that nothing secret is in it */
  body: string;
  /**
   * What the person waits for after Bitbucket's consent page: from sending
   * the callback until its body has been read, in ms (the benchmark's latency)
   */
  callbackMs: number;
}

export interface SignInOptions {
  /** Where the Backstage backend listens, e.g. `http://127.0.0.1:7007` */
  backendUrl: string;
  /** Where Bitbucket's redirect back lands; default `backendUrl` (e.g. another replica) */
  callbackBackendUrl?: string;
  /** The app origin Backstage trusts (app.baseUrl); default `http://localhost:3000` */
  appOrigin?: string;
  providerId?: string;
  env?: string;
  /** Answers the consent page: returns the Location Bitbucket redirects to */
  consent: (authorizeUrl: string) => Promise<string>;
  /** Lets a test change the callback URL (state, code) before it is sent */
  tamper?: (callbackUrl: URL) => void;
  /** Cookies to send to the callback instead of the ones `start` set */
  overrideCookies?: string[];
}

export async function signInThroughBackstage(
  options: SignInOptions,
): Promise<BackstageSignInOutcome> {
  const {
    backendUrl,
    appOrigin = 'http://localhost:3000',
    providerId = 'bitbucket',
    env = 'development',
  } = options;
  const start = await fetch(
    `${backendUrl}/api/auth/${providerId}/start?env=${encodeURIComponent(
      env,
    )}&origin=${encodeURIComponent(appOrigin)}`,
    { redirect: 'manual' },
  );
  await start.text();
  const authorizeUrl = start.headers.get('location');
  if (start.status !== 302 || !authorizeUrl) {
    throw new Error(`start answered ${start.status} without a redirect`);
  }
  const startCookies = cookiePairs(start.headers.getSetCookie());

  const callbackUrl = new URL(await options.consent(authorizeUrl));
  options.tamper?.(callbackUrl);
  // Bitbucket redirects the browser to the configured callback host; send it to the backend under test
  const sent = performance.now();
  const callback = await fetch(
    `${options.callbackBackendUrl ?? backendUrl}${callbackUrl.pathname}${
      callbackUrl.search
    }`,
    {
      redirect: 'manual',
      headers: {
        cookie: (options.overrideCookies ?? startCookies).join('; '),
      },
    },
  );
  const body = await callback.text();
  const callbackMs = performance.now() - sent;
  const message = readPopupMessage(body);
  return {
    status: callback.status,
    response: message?.response,
    error: message?.error,
    cookies: cookiePairs(callback.headers.getSetCookie()),
    body,
    callbackMs,
  };
}

/** Calls the session refresh endpoint the way the app does after a reload */
export async function refreshBackstageSession(options: {
  backendUrl: string;
  cookies: string[];
  providerId?: string;
  env?: string;
}): Promise<{
  status: number;
  body: any;
  text: string;
  cookies: string[];
}> {
  const { backendUrl, providerId = 'bitbucket', env = 'development' } = options;
  const res = await fetch(
    `${backendUrl}/api/auth/${providerId}/refresh?env=${encodeURIComponent(
      env,
    )}`,
    {
      headers: {
        'x-requested-with': 'XMLHttpRequest',
        cookie: options.cookies.join('; '),
      },
    },
  );
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return {
    status: res.status,
    body,
    text,
    cookies: cookiePairs(res.headers.getSetCookie()),
  };
}

/** The claims of a Backstage token, unverified: enough to check `sub` and `ent` */
export function decodeBackstageToken(token: string): {
  sub: string;
  ent?: string[];
  [claim: string]: unknown;
} {
  const payload = token.split('.')[1];
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}

/** What a browser would keep: the last value per name, without cookies being deleted (Max-Age=0) */
function cookiePairs(setCookies: string[]): string[] {
  const jar = new Map<string, string>();
  for (const cookie of setCookies) {
    const [pair, ...attributes] = cookie.split(';');
    const name = pair.slice(0, pair.indexOf('='));
    const deleted = attributes.some(a => /^\s*max-age=0\s*$/i.test(a));
    if (deleted) {
      jar.delete(name);
    } else {
      jar.set(name, pair.trim());
    }
  }
  return [...jar.values()];
}

function readPopupMessage(html: string):
  | {
      response?: BackstageAuthResponse;
      error?: { name: string; message: string };
    }
  | undefined {
  const match = html.match(/authResponse = decodeURIComponent\('([^']*)'\)/);
  return match ? JSON.parse(decodeURIComponent(match[1])) : undefined;
}
