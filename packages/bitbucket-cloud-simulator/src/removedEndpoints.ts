import { ServerResponse } from 'node:http';
import { apiErrorBody, sendJson } from './http';

/**
 * The cross-workspace endpoints Bitbucket Cloud removed under CHANGE-2770;
 * paths below them (e.g. `/2.0/workspaces/{workspace}/members`) still exist.
 */
const REMOVED_BY_CHANGE_2770 = new Set([
  '/2.0/user/permissions/workspaces',
  '/2.0/workspaces',
  '/2.0/user/permissions/repositories',
  '/2.0/repositories',
]);

/** True for a pathname (without trailing slash) Bitbucket answers 410 Gone */
export function isRemovedEndpoint(pathname: string): boolean {
  return REMOVED_BY_CHANGE_2770.has(pathname);
}

/** Bitbucket's answer to any request for a removed endpoint, whatever the credentials */
export function sendGone(res: ServerResponse): void {
  const error = apiErrorBody(
    'CHANGE-2770 - Functionality has been deprecated',
    'Please read the changelog entry for more details.',
  );
  sendJson(res, 410, {
    ...error,
    error: {
      ...error.error,
      data: {
        announcement_url:
          'https://developer.atlassian.com/cloud/bitbucket/changelog#CHANGE-2770',
      },
    },
  });
}
