import { IncomingMessage, ServerResponse } from 'node:http';
import { avatarUrlOf, SimulatorContext } from './context';
import { apiErrorBody, sendJson } from './http';
import { AccessTokenRecord } from './tokenStore';
import { SimulatorUser } from './types';

const DEFAULT_PAGELEN = 10;
const MAX_PAGELEN = 100;
/** The simulator's accounts have no creation date of their own: a fixed one keeps responses stable */
const CREATED_ON = '2019-03-14T09:26:53.512031+00:00';

/** A page of a Bitbucket list */
export interface Page<T> {
  pagelen: number;
  size: number;
  page: number;
  values: T[];
  next?: string;
}

function positiveInteger(text: string | null): number | undefined {
  if (text === null || !/^\d+$/.test(text.trim())) {
    return undefined;
  }
  const value = Number(text);
  return value >= 1 ? value : undefined;
}

/**
 * Bitbucket's pagination: `pagelen` (default 10, clamped to 100) and 1-based
 * `page`; `next` is an absolute URL that keeps the other query parameters,
 * absent on the last page.
 */
export function paginate<T>(
  values: T[],
  query: URLSearchParams,
  selfUrl: string,
): Page<T> {
  const pagelen = Math.min(
    positiveInteger(query.get('pagelen')) ?? DEFAULT_PAGELEN,
    MAX_PAGELEN,
  );
  const page = positiveInteger(query.get('page')) ?? 1;
  const start = (page - 1) * pagelen;
  const result: Page<T> = {
    pagelen,
    size: values.length,
    page,
    values: values.slice(start, start + pagelen),
  };
  if (start + pagelen < values.length) {
    const nextQuery = new URLSearchParams(query);
    nextQuery.set('page', String(page + 1));
    result.next = `${selfUrl}?${nextQuery}`;
  }
  return result;
}

/** Scopes a consumer permission implies, as on Bitbucket (write implies read) */
function hasScope(granted: string[], required: string): boolean {
  return granted.includes(required) || granted.includes(`${required}:write`);
}

function userLinks(ctx: SimulatorContext, user: SimulatorUser) {
  const id = encodeURIComponent(user.uuid);
  return {
    avatar: { href: avatarUrlOf(ctx, user) },
    html: { href: `${ctx.url}/${id}/` },
    self: { href: `${ctx.apiBaseUrl}/users/${id}` },
  };
}

/** `GET /2.0/user` */
function userBody(ctx: SimulatorContext, user: SimulatorUser) {
  return {
    type: 'user',
    uuid: user.uuid,
    account_id: user.accountId,
    username: user.username,
    nickname: user.nickname,
    display_name: user.displayName,
    account_status: 'active',
    links: userLinks(ctx, user),
    created_on: CREATED_ON,
  };
}

/** A user as it appears inside other objects */
function userSummary(ctx: SimulatorContext, user: SimulatorUser) {
  return {
    type: 'user',
    uuid: user.uuid,
    account_id: user.accountId,
    nickname: user.nickname,
    display_name: user.displayName,
    links: userLinks(ctx, user),
  };
}

/** `GET /2.0/user/emails` items */
function emailValues(user: SimulatorUser) {
  return user.emails.map(e => ({
    type: 'email',
    email: e.email,
    is_primary: e.isPrimary,
    is_confirmed: e.isConfirmed,
    links: {},
  }));
}

/**
 * The `q` filters of `GET /2.0/user/permissions/workspaces` the simulator
 * understands: `workspace.slug="a"` and `workspace.slug IN ("a","b")`.
 * Undefined means no filter; null means a query it cannot parse.
 */
export function parseWorkspaceQuery(
  q: string | null,
): Set<string> | undefined | null {
  if (q === null || q.trim() === '') {
    return undefined;
  }
  const equals = /^\s*workspace\.slug\s*=\s*"([^"]*)"\s*$/.exec(q);
  if (equals) {
    return new Set([equals[1]]);
  }
  const inList =
    /^\s*workspace\.slug\s+IN\s*\(\s*("[^"]*"(?:\s*,\s*"[^"]*")*)\s*\)\s*$/i.exec(
      q,
    );
  if (inList) {
    return new Set(Array.from(inList[1].matchAll(/"([^"]*)"/g), m => m[1]));
  }
  return null;
}

type UserWorkspace = SimulatorUser['workspaces'][number];

/** A workspace as it appears inside memberships */
function workspaceSummary(ctx: SimulatorContext, w: UserWorkspace) {
  return {
    type: 'workspace',
    uuid: w.uuid,
    slug: w.slug,
    name: w.name,
    links: {
      avatar: { href: `${ctx.url}/workspaces/${w.slug}/avatar/` },
      html: { href: `${ctx.url}/${w.slug}/` },
      self: { href: `${ctx.apiBaseUrl}/workspaces/${w.slug}` },
    },
  };
}

function workspaceValues(
  ctx: SimulatorContext,
  user: SimulatorUser,
  slugs: Set<string> | undefined,
) {
  const summary = userSummary(ctx, user);
  return user.workspaces
    .filter(w => !slugs || slugs.has(w.slug))
    .map(w => ({
      type: 'workspace_membership',
      permission: w.permission,
      user: summary,
      workspace: workspaceSummary(ctx, w),
    }));
}

/** Everyone in a workspace, in the order the simulator knows them */
function membershipsOf(ctx: SimulatorContext, slug: string) {
  const memberships: Array<{ user: SimulatorUser; workspace: UserWorkspace }> =
    [];
  for (const user of ctx.users.values()) {
    const workspace = user.workspaces.find(w => w.slug === slug);
    if (workspace) {
      memberships.push({ user, workspace });
    }
  }
  return memberships;
}

/**
 * `GET /2.0/workspaces/{workspace}/members` and `.../permissions`. A
 * workspace the caller is not in answers 404, as an unknown one does.
 */
function workspaceList(kind: 'members' | 'permissions'): Route {
  return {
    scope: 'account',
    respond: (ctx, res, caller, query, selfUrl, [rawSlug]) => {
      const slug = decodeURIComponent(rawSlug);
      const memberships = membershipsOf(ctx, slug);
      if (!memberships.some(m => m.user.username === caller.username)) {
        sendJson(res, 404, apiErrorBody(`Workspace ${slug} not found`));
        return;
      }
      const page = paginate(memberships, query, selfUrl);
      const values = page.values.map(({ user, workspace }) =>
        kind === 'members'
          ? {
              type: 'workspace_membership',
              user: userSummary(ctx, user),
              workspace: workspaceSummary(ctx, workspace),
              links: {
                self: {
                  href: `${ctx.apiBaseUrl}/workspaces/${
                    workspace.slug
                  }/members/${encodeURIComponent(user.uuid)}`,
                },
              },
            }
          : {
              type: 'workspace_membership',
              permission: workspace.permission,
              user: userSummary(ctx, user),
              workspace: workspaceSummary(ctx, workspace),
            },
      );
      sendJson(res, 200, { ...page, values });
    },
  };
}

type Route = {
  scope: string;
  respond: (
    ctx: SimulatorContext,
    res: ServerResponse,
    user: SimulatorUser,
    query: URLSearchParams,
    selfUrl: string,
    /** What a parameterised route's pattern captured */
    params: string[],
  ) => void;
};

const routes: Record<string, Route> = {
  '/2.0/user': {
    scope: 'account',
    respond: (ctx, res, user) => sendJson(res, 200, userBody(ctx, user)),
  },
  '/2.0/user/emails': {
    scope: 'email',
    respond: (_ctx, res, user, query, selfUrl) =>
      sendJson(res, 200, paginate(emailValues(user), query, selfUrl)),
  },
  '/2.0/user/permissions/workspaces': {
    scope: 'account',
    respond: (ctx, res, user, query, selfUrl) => {
      const slugs = parseWorkspaceQuery(query.get('q'));
      if (slugs === null) {
        sendJson(
          res,
          400,
          apiErrorBody('Invalid query', {
            q: query.get('q'),
            supported: [
              'workspace.slug="<slug>"',
              'workspace.slug IN ("<a>","<b>")',
            ],
          }),
        );
        return;
      }
      sendJson(
        res,
        200,
        paginate(workspaceValues(ctx, user, slugs), query, selfUrl),
      );
    },
  },
};

const workspaceRoutes: Array<[RegExp, Route]> = [
  [/^\/2\.0\/workspaces\/([^/]+)\/members$/, workspaceList('members')],
  [/^\/2\.0\/workspaces\/([^/]+)\/permissions$/, workspaceList('permissions')],
];

function findRoute(
  pathname: string,
): { route: Route; params: string[] } | undefined {
  if (routes[pathname]) {
    return { route: routes[pathname], params: [] };
  }
  for (const [pattern, route] of workspaceRoutes) {
    const match = pattern.exec(pathname);
    if (match) {
      return { route, params: match.slice(1) };
    }
  }
  return undefined;
}

/** The bearer token from the Authorization header, or from the access_token parameter Bitbucket also accepts */
function authenticate(
  ctx: SimulatorContext,
  authorization: string | undefined,
  query: URLSearchParams,
): AccessTokenRecord | string {
  const token =
    /^bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1] ??
    query.get('access_token');
  if (!token) {
    return 'Access token missing: send it as Authorization: Bearer <access_token>.';
  }
  const record = ctx.tokens.getAccessToken(token);
  if (!record) {
    return 'Invalid access token.';
  }
  if (record.expiresAt <= Date.now()) {
    return 'Access token expired.';
  }
  return record;
}

/** `/2.0/*`: the REST endpoints a sign-in and the org provider need */
export function handleApi(
  ctx: SimulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  rawQuery: string,
): void {
  req.resume();
  const normalized =
    pathname.length > 1 && pathname.endsWith('/')
      ? pathname.slice(0, -1)
      : pathname;
  const found = findRoute(normalized);
  if (!found) {
    sendJson(res, 404, apiErrorBody('Resource not found'));
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendJson(res, 405, apiErrorBody('Method not allowed'), { allow: 'GET' });
    return;
  }
  const query = new URLSearchParams(rawQuery);
  const auth = authenticate(ctx, req.headers.authorization, query);
  if (typeof auth === 'string') {
    sendJson(res, 401, apiErrorBody(auth));
    return;
  }
  const { route } = found;
  if (!hasScope(auth.scopes, route.scope)) {
    sendJson(
      res,
      403,
      apiErrorBody(
        'Your credentials lack one or more required privilege scopes.',
        { required: [route.scope], granted: auth.scopes },
      ),
    );
    return;
  }
  const user = ctx.users.get(auth.username);
  if (!user) {
    sendJson(res, 401, apiErrorBody('Invalid access token.'));
    return;
  }
  query.delete('access_token'); // never echo a token into `next`
  route.respond(ctx, res, user, query, `${ctx.url}${normalized}`, found.params);
}
