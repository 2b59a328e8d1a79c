import { appUserBody, userSummary, workspaceBase } from './apiBodies';
import { workspacesOf } from './caller';
import { apiErrorBody, sendJson } from './http';
import { paginate } from './pagination';
import { Route } from './route';

/** `GET /2.0/user/workspaces`: whether the caller administers each of their workspaces */
export const userWorkspaces: Route = {
  scope: 'account',
  apiTokenScope: 'read:user:bitbucket',
  respond: (ctx, res, caller, query, selfUrl) => {
    const values = workspacesOf(ctx, caller).map(w => ({
      type: 'workspace_access',
      administrator: w.permission === 'owner',
      workspace: workspaceBase(w),
    }));
    sendJson(res, 200, paginate(values, query, selfUrl));
  },
};

/**
 * `GET /2.0/user/workspaces/{workspace}/permission`: the caller's membership
 * of one workspace; 404 when they are not a member, as for an unknown one.
 */
export const userWorkspacePermission: Route = {
  scope: 'account',
  apiTokenScope: 'read:user:bitbucket',
  respond: (ctx, res, caller, _query, _selfUrl, [rawSlug]) => {
    const slug = decodeURIComponent(rawSlug);
    const workspace = workspacesOf(ctx, caller).find(w => w.slug === slug);
    if (!workspace) {
      sendJson(res, 404, apiErrorBody(`Workspace ${slug} not found`));
      return;
    }
    sendJson(res, 200, {
      type: 'workspace_membership',
      permission: workspace.permission,
      user:
        caller.kind === 'user'
          ? userSummary(ctx, caller.user)
          : appUserBody(caller.consumer),
      workspace: workspaceBase(workspace),
    });
  },
};
