import { IncomingMessage, ServerResponse } from 'node:http';
import { appUserBody, emailValues, userBody } from './apiBodies';
import { authenticate } from './apiAuth';
import { SimulatorContext } from './context';
import { apiErrorBody, sendJson } from './http';
import { paginate } from './pagination';
import { Route } from './route';
import { isRemovedEndpoint, sendGone } from './removedEndpoints';
import { userWorkspacePermission, userWorkspaces } from './userWorkspaces';
import { workspaceList } from './workspaceMembers';

/** Scopes a consumer permission implies, as on Bitbucket (write implies read) */
function hasScope(granted: string[], required: string): boolean {
  return granted.includes(required) || granted.includes(`${required}:write`);
}

const routes: Record<string, Route> = {
  '/2.0/user': {
    scope: 'account',
    apiTokenScope: 'read:user:bitbucket',
    respond: (ctx, res, caller) =>
      sendJson(
        res,
        200,
        caller.kind === 'user'
          ? userBody(ctx, caller.user)
          : appUserBody(caller.consumer),
      ),
  },
  '/2.0/user/workspaces': userWorkspaces,
  '/2.0/user/emails': {
    scope: 'email',
    apiTokenScope: 'read:user:bitbucket',
    respond: (_ctx, res, caller, query, selfUrl) => {
      const emails = caller.kind === 'user' ? emailValues(caller.user) : [];
      sendJson(res, 200, paginate(emails, query, selfUrl));
    },
  },
};

const parameterisedRoutes: Array<[RegExp, Route]> = [
  [/^\/2\.0\/user\/workspaces\/([^/]+)\/permission$/, userWorkspacePermission],
  [/^\/2\.0\/workspaces\/([^/]+)\/members$/, workspaceList('members')],
  [/^\/2\.0\/workspaces\/([^/]+)\/permissions$/, workspaceList('permissions')],
];

function findRoute(
  pathname: string,
): { route: Route; params: string[] } | undefined {
  if (routes[pathname]) {
    return { route: routes[pathname], params: [] };
  }
  for (const [pattern, route] of parameterisedRoutes) {
    const match = pattern.exec(pathname);
    if (match) {
      return { route, params: match.slice(1) };
    }
  }
  return undefined;
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
  if (isRemovedEndpoint(normalized)) {
    sendGone(res);
    return;
  }
  const found = findRoute(normalized);
  if (!found) {
    sendJson(res, 404, apiErrorBody('Resource not found'));
    return;
  }
  const caller = authenticate(ctx, req.headers.authorization);
  if (typeof caller === 'string') {
    sendJson(res, 401, apiErrorBody(caller));
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendJson(res, 405, apiErrorBody('Method not allowed'), { allow: 'GET' });
    return;
  }
  const { route } = found;
  const required =
    caller.credential === 'api-token' ? route.apiTokenScope : route.scope;
  if (!hasScope(caller.scopes, required)) {
    sendJson(
      res,
      403,
      apiErrorBody(
        'Your credentials lack one or more required privilege scopes.',
        { required: [required], granted: caller.scopes },
      ),
    );
    return;
  }
  const query = new URLSearchParams(rawQuery);
  query.delete('access_token'); // never echo a token into `next`
  route.respond(
    ctx,
    res,
    caller,
    query,
    `${ctx.url}${normalized}`,
    found.params,
  );
}
