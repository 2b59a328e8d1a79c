import { UserWorkspace, userSummary, workspaceSummary } from './apiBodies';
import { workspacesOf } from './caller';
import { SimulatorContext } from './context';
import { apiErrorBody, sendJson } from './http';
import { paginate } from './pagination';
import { Route } from './route';
import { SimulatorUser } from './types';

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
 * workspace the caller does not reach answers 404, as an unknown one does.
 */
export function workspaceList(kind: 'members' | 'permissions'): Route {
  return {
    scope: 'account',
    apiTokenScope: 'read:workspace:bitbucket',
    respond: (ctx, res, caller, query, selfUrl, [rawSlug]) => {
      const slug = decodeURIComponent(rawSlug);
      const memberships = membershipsOf(ctx, slug);
      if (!workspacesOf(ctx, caller).some(w => w.slug === slug)) {
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
