import { stableUuid } from './stableUuid';
import { SimulatorUser, WorkspacePermission } from './types';

/**
 * Options for {@link generateWorkspace}.
 *
 * @public
 */
export interface GenerateWorkspaceOptions {
  /** The workspace slug, e.g. `big` */
  slug: string;
  /** How many members to generate */
  members: number;
  /** Default: the slug */
  name?: string;
}

/**
 * The members of one generated workspace, for tests and benchmarks of
 * workspace-wide reads. Deterministic: the same options give the same users.
 *
 * - usernames `<slug>-user-<i>` (i from 0), nicknames `user<i>`, except that
 *   every 100th member (i = 99, 199, ...) takes the nickname of the member
 *   before it: nicknames are not unique on Bitbucket either
 * - member 0 and every 500th after it are owners, the others members
 * - one confirmed primary email each, `<username>@example.com`
 *
 * Pass them as `users` (with `demoUsers` if those are wanted too), and give
 * a private consumer `workspace: '<slug>'` to read the workspace.
 *
 * @public
 */
export function generateWorkspace(
  options: GenerateWorkspaceOptions,
): SimulatorUser[] {
  const { slug, members } = options;
  if (!Number.isInteger(members) || members < 1) {
    throw new TypeError(`members must be a positive integer, got ${members}`);
  }
  const workspace = {
    slug,
    name: options.name ?? slug,
    uuid: stableUuid(`workspace:${slug}`),
  };
  return Array.from({ length: members }, (_, i) => {
    const username = `${slug}-user-${i}`;
    const permission: WorkspacePermission = i % 500 === 0 ? 'owner' : 'member';
    return {
      uuid: stableUuid(`user:${slug}:${i}`),
      accountId: `557058:${stableUuid(`account:${slug}:${i}`).slice(1, -1)}`,
      username,
      nickname: i % 100 === 99 ? `user${i - 1}` : `user${i}`,
      displayName: `Member ${i} of ${workspace.name}`,
      emails: [
        {
          email: `${username}@example.com`,
          isPrimary: true,
          isConfirmed: true,
        },
      ],
      workspaces: [{ ...workspace, permission }],
    };
  });
}
