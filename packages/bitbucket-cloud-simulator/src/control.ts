import { IncomingMessage, ServerResponse } from 'node:http';
import { validateFault, validateLatency } from './faults';
import { BodyTooLargeError, readBody, sendJson, sendNoContent } from './http';
import { BitbucketSimulator } from './types';
import { validateUserChange } from './validateUser';

/** What the control endpoints can do to a running simulator */
export type SimulatorControls = Pick<
  BitbucketSimulator,
  | 'requestCounts'
  | 'authorizeRequests'
  | 'addFault'
  | 'clearFaults'
  | 'setLatency'
  | 'expireAccessTokens'
  | 'revokeRefreshTokens'
  | 'expireRefreshTokens'
  | 'updateUser'
> & {
  /** Resets the counts and recorded authorize requests, clears faults, restores the start latency */
  reset(): void;
};

export const CONTROL_PREFIX = '/_simulator/';

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  if (text.trim() === '') {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new TypeError('The body is not valid JSON');
  }
}

/** The optional `{"username": "..."}` body of the refresh-token controls */
async function readUsername(req: IncomingMessage): Promise<string | undefined> {
  const body = (await readJson(req)) as { username?: unknown } | undefined;
  const username = body?.username;
  if (username !== undefined && typeof username !== 'string') {
    throw new TypeError('username must be a string');
  }
  return username;
}

/**
 * `/_simulator/*`: lets tests of a separate backend process, and the
 * benchmark, drive the simulator over HTTP. Not part of Bitbucket.
 */
export async function handleControl(
  controls: SimulatorControls,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
): Promise<void> {
  const route = `${req.method} ${pathname.slice(CONTROL_PREFIX.length)}`;
  try {
    if (route === 'GET requests') {
      req.resume();
      sendJson(res, 200, controls.requestCounts());
    } else if (route === 'GET authorize-requests') {
      req.resume();
      sendJson(res, 200, controls.authorizeRequests());
    } else if (route === 'POST reset') {
      req.resume();
      controls.reset();
      sendNoContent(res);
    } else if (route === 'POST faults') {
      controls.addFault(validateFault(await readJson(req)));
      sendNoContent(res);
    } else if (route === 'DELETE faults') {
      req.resume();
      controls.clearFaults();
      sendNoContent(res);
    } else if (route === 'PUT latency') {
      const body = await readJson(req);
      controls.setLatency(validateLatency((body as { ms?: unknown })?.ms));
      sendNoContent(res);
    } else if (route === 'POST expire-access-tokens') {
      req.resume();
      controls.expireAccessTokens();
      sendNoContent(res);
    } else if (route === 'POST revoke-refresh-tokens') {
      controls.revokeRefreshTokens(await readUsername(req));
      sendNoContent(res);
    } else if (route === 'POST expire-refresh-tokens') {
      controls.expireRefreshTokens(await readUsername(req));
      sendNoContent(res);
    } else if (
      req.method === 'PATCH' &&
      pathname.startsWith(`${CONTROL_PREFIX}users/`)
    ) {
      const username = decodeURIComponent(
        pathname.slice(`${CONTROL_PREFIX}users/`.length),
      );
      const change = validateUserChange(await readJson(req));
      try {
        controls.updateUser(username, change);
      } catch (error) {
        sendJson(res, 404, { error: (error as Error).message });
        return;
      }
      sendNoContent(res);
    } else {
      req.resume();
      sendJson(res, 404, {
        error: `No simulator control endpoint ${req.method} ${pathname}`,
      });
    }
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      sendJson(res, 413, { error: error.message });
    } else if (error instanceof TypeError || error instanceof URIError) {
      sendJson(res, 400, { error: error.message });
    } else {
      throw error;
    }
  }
}
