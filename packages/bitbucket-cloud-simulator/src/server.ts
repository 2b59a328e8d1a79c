import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { handleApi } from './api';
import { renderAvatar } from './avatars';
import { renderErrorPage } from './consentPage';
import { SimulatorContext } from './context';
import { CONTROL_PREFIX, handleControl, SimulatorControls } from './control';
import { demoConsumer, demoUsers } from './demoData';
import {
  FaultInjector,
  isFaultablePath,
  performFault,
  TOKEN_PATH,
} from './faults';
import {
  apiErrorBody,
  BodyTooLargeError,
  parseQuery,
  readBody,
  sendHtml,
  sendJson,
  sendRedirect,
} from './http';
import {
  authorizeDecision,
  AuthorizeOutcome,
  authorizePage,
  handleAccessToken,
} from './oauth';
import { TokenStore } from './tokenStore';
import {
  BitbucketSimulator,
  SimulatorConsumer,
  SimulatorOptions,
  SimulatorUser,
} from './types';
import { validateWorkspaces } from './validateUser';

const AUTHORIZE_PATH = '/site/oauth2/authorize';
/** How many authorize requests authorizeRequests() remembers */
const MAX_AUTHORIZE_LOG = 1000;
const KEEP_ALIVE_TIMEOUT_MS = 60_000;

function positive(name: string, value: number | undefined, fallback: number) {
  if (value === undefined) {
    return fallback;
  }
  if (!Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive number, got ${value}`);
  }
  return value;
}

function byUnique<T>(items: T[], keyOf: (item: T) => string, what: string) {
  const map = new Map<string, T>();
  for (const item of items) {
    const key = keyOf(item);
    if (map.has(key)) {
      throw new TypeError(`Duplicate ${what} "${key}"`);
    }
    map.set(key, structuredClone(item));
  }
  return map;
}

function formatUrl(host: string, port: number) {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function sendOutcome(res: ServerResponse, outcome: AuthorizeOutcome) {
  if (outcome.type === 'page') {
    sendHtml(res, 200, outcome.html);
  } else if (outcome.type === 'error') {
    sendHtml(res, 400, renderErrorPage(outcome.message));
  } else {
    sendRedirect(res, outcome.location);
  }
}

/** The fields the consent page's form carries forward from the authorize request */
function consentFormFields(params: Record<string, string>) {
  const fields: Record<string, string> = {
    client_id: params.client_id ?? '',
    response_type: params.response_type ?? '',
  };
  if (params.state !== undefined) {
    fields.state = params.state;
  }
  if (params.redirect_uri) {
    fields.redirect_uri = params.redirect_uri;
  }
  return fields;
}

function indexPage(sim: BitbucketSimulator) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Bitbucket Cloud simulator</title></head>
<body style="font-family:sans-serif;max-width:640px;margin:40px auto;color:#172b4d">
<h1 style="color:#0052cc">Bitbucket Cloud simulator</h1>
<p>A local stand-in for Bitbucket Cloud's OAuth 2.0 and REST endpoints. Nothing here talks to bitbucket.org.</p>
<ul>
<li>Authorization URL: <code>${sim.authorizationUrl}</code></li>
<li>Token URL: <code>${sim.tokenUrl}</code></li>
<li>API base URL: <code>${sim.apiBaseUrl}</code></li>
<li>Request counts: <a href="/_simulator/requests">/_simulator/requests</a></li>
</ul>
</body></html>
`;
}

/**
 * Starts a Bitbucket Cloud simulator on 127.0.0.1 (a random free port unless
 * one is given).
 *
 * @public
 */
export async function startBitbucketSimulator(
  options: SimulatorOptions = {},
): Promise<BitbucketSimulator> {
  const host = options.host ?? '127.0.0.1';
  const requestedPort = options.port ?? 0;
  if (
    !Number.isInteger(requestedPort) ||
    requestedPort < 0 ||
    requestedPort > 65535
  ) {
    throw new TypeError(`port must be an integer from 0 to 65535`);
  }
  const accessTokenTtlSeconds = positive(
    'accessTokenTtlSeconds',
    options.accessTokenTtlSeconds,
    7200,
  );
  const authorizationCodeTtlSeconds = positive(
    'authorizationCodeTtlSeconds',
    options.authorizationCodeTtlSeconds,
    300,
  );
  const users = byUnique<SimulatorUser>(
    options.users ?? demoUsers,
    u => u.username,
    'username',
  );
  for (const user of users.values()) {
    validateWorkspaces(user.workspaces);
  }
  const consumers = byUnique<SimulatorConsumer>(
    options.consumers ?? [demoConsumer],
    c => c.key,
    'consumer key',
  );
  const faults = new FaultInjector(options.latencyMs ?? 0);
  const tokens = new TokenStore();
  const counts = new Map<string, number>();
  const authorizeLog: Array<Record<string, string>> = [];
  const sockets = new Set<Socket>();
  const stopController = new AbortController();
  let stopping: Promise<void> | undefined;

  const count = (pathname: string) =>
    counts.set(pathname, (counts.get(pathname) ?? 0) + 1);
  const recordAuthorize = (params: Record<string, string>) => {
    authorizeLog.push({ ...params });
    if (authorizeLog.length > MAX_AUTHORIZE_LOG) {
      authorizeLog.shift();
    }
  };

  const server = createServer();
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1000;
  server.on('connection', socket => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(requestedPort, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = formatUrl(host, port);

  const ctx: SimulatorContext = {
    url,
    apiBaseUrl: `${url}/2.0`,
    users,
    consumers,
    tokens,
    accessTokenTtlSeconds,
    authorizationCodeTtlSeconds,
  };

  const authorizeParamsOf = (authorizeUrl: string) => {
    const parsed = new URL(authorizeUrl, url);
    if (!parsed.pathname.endsWith(AUTHORIZE_PATH)) {
      throw new Error(
        `Bitbucket simulator: ${parsed.pathname} is not ${AUTHORIZE_PATH}`,
      );
    }
    return Object.fromEntries(parsed.searchParams);
  };

  /** GET then POST of the consent page, without HTTP */
  const decide = async (
    authorizeUrl: string,
    choice: { user: string } | { decision: 'deny' },
  ) => {
    const params = authorizeParamsOf(authorizeUrl);
    count(AUTHORIZE_PATH);
    recordAuthorize(params);
    const first = authorizePage(ctx, params);
    if (first.type === 'redirect') {
      return first.location;
    }
    if (first.type === 'error') {
      throw new Error(`Bitbucket simulator: ${first.message}`);
    }
    if ('user' in choice && !users.has(choice.user)) {
      throw new Error(`Bitbucket simulator: unknown user "${choice.user}"`);
    }
    count(AUTHORIZE_PATH);
    const second = authorizeDecision(ctx, {
      ...consentFormFields(params),
      ...choice,
    });
    if (second.type !== 'redirect') {
      throw new Error(
        `Bitbucket simulator: ${
          second.type === 'error' ? second.message : 'unexpected page'
        }`,
      );
    }
    return second.location;
  };

  const sim: BitbucketSimulator = {
    url,
    authorizationUrl: `${url}${AUTHORIZE_PATH}`,
    tokenUrl: `${url}${TOKEN_PATH}`,
    apiBaseUrl: ctx.apiBaseUrl,
    requestCounts: () => Object.fromEntries(counts),
    resetRequestCounts: () => counts.clear(),
    authorizeRequests: () => authorizeLog.map(params => ({ ...params })),
    setLatency: ms => faults.setLatency(ms),
    addFault: fault => faults.add(fault),
    clearFaults: () => faults.clear(),
    expireAccessTokens: () => tokens.expireAccessTokens(),
    revokeRefreshTokens: username => tokens.revokeRefreshTokens(username),
    expireRefreshTokens: username => tokens.expireRefreshTokens(username),
    updateUser(username, change) {
      const current = users.get(username);
      if (!current) {
        throw new Error(`Bitbucket simulator: unknown user "${username}"`);
      }
      users.set(username, {
        ...current,
        ...structuredClone(change),
        username,
      });
    },
    approve: (authorizeUrl, username) =>
      decide(authorizeUrl, { user: username }),
    deny: authorizeUrl => decide(authorizeUrl, { decision: 'deny' }),
    stop() {
      stopping ??= new Promise<void>(resolve => {
        stopController.abort();
        server.close(() => resolve());
        for (const socket of sockets) {
          socket.destroy();
        }
        server.closeAllConnections();
      });
      return stopping;
    },
  };

  const controls: SimulatorControls = {
    ...sim,
    reset() {
      counts.clear();
      authorizeLog.length = 0;
      faults.reset();
    },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const rawUrl = req.url ?? '/';
    const queryStart = rawUrl.indexOf('?');
    const pathname = queryStart < 0 ? rawUrl : rawUrl.slice(0, queryStart);
    const rawQuery = queryStart < 0 ? '' : rawUrl.slice(queryStart + 1);

    if (pathname.startsWith(CONTROL_PREFIX)) {
      await handleControl(controls, req, res, pathname);
      return;
    }
    count(pathname);

    if (isFaultablePath(pathname)) {
      const fault = faults.take(pathname);
      const latencyMs = faults.latencyMs;
      if (latencyMs > 0) {
        await delay(latencyMs, undefined, { signal: stopController.signal });
      }
      if (fault) {
        performFault(fault, pathname, req, res);
      } else if (pathname === TOKEN_PATH) {
        await handleAccessToken(ctx, req, res);
      } else {
        handleApi(ctx, req, res, pathname, rawQuery);
      }
      return;
    }

    if (pathname === AUTHORIZE_PATH) {
      if (req.method === 'GET' || req.method === 'HEAD') {
        req.resume();
        const params = parseQuery(rawQuery);
        recordAuthorize(params);
        sendOutcome(res, authorizePage(ctx, params));
      } else if (req.method === 'POST') {
        const form = parseQuery(await readBody(req));
        sendOutcome(res, authorizeDecision(ctx, form));
      } else {
        req.resume();
        sendHtml(res, 405, renderErrorPage('Method not allowed'));
      }
      return;
    }

    req.resume();
    const avatar = /^\/avatars\/([^/]+)\.svg$/.exec(pathname);
    if (avatar && req.method === 'GET') {
      const user = users.get(decodeURIComponent(avatar[1]));
      if (user) {
        const svg = renderAvatar(user);
        res.writeHead(200, {
          'content-type': 'image/svg+xml',
          'content-length': Buffer.byteLength(svg),
          'cache-control': 'public, max-age=3600',
        });
        res.end(svg);
        return;
      }
    }
    if (pathname === '/' && req.method === 'GET') {
      sendHtml(res, 200, indexPage(sim));
      return;
    }
    sendJson(res, 404, apiErrorBody('Resource not found'));
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch(error => {
      if (stopController.signal.aborted) {
        return; // stopping: the socket is being destroyed
      }
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof BodyTooLargeError) {
        sendJson(res, 413, apiErrorBody(error.message));
      } else if (error instanceof URIError) {
        sendJson(res, 400, apiErrorBody(error.message));
      } else {
        // no details: they could include request data
        sendJson(
          res,
          500,
          apiErrorBody('Internal error in the Bitbucket Cloud simulator'),
        );
      }
    });
  });

  return sim;
}
