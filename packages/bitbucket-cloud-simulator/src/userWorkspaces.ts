import { userSummary, workspaceBase } from './apiBodies';
import { apiErrorBody, sendJson } from './http';
import { paginate } from './pagination';
import { Route } from './route';

/** `GET /2.0/user/workspaces`: whether the caller administers each of their workspaces */
export const userWorkspaces: Route = {
  scope: 'account',
  respond: (_ctx, res, user, query, selfUrl) => {
    const values = user.workspaces.map(w => ({
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
  respond: (ctx, res, user, _query, _selfUrl, [rawSlug]) => {
    const slug = decodeURIComponent(rawSlug);
    const workspace = user.workspaces.find(w => w.slug === slug);
    if (!workspace) {
      sendJson(res, 404, apiErrorBody(`Workspace ${slug} not found`));
      return;
    }
    sendJson(res, 200, {
      type: 'workspace_membership',
      permission: workspace.permission,
      user: userSummary(ctx, user),
      workspace: workspaceBase(workspace),
    });
  },
};
