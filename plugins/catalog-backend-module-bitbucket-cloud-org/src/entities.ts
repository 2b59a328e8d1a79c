import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  GroupEntity,
  UserEntity,
} from '@backstage/catalog-model';
import {
  WorkspaceMember,
  WorkspaceMemberPermission,
} from './BitbucketOrgClient';

/**
 * The annotation holding the member's Bitbucket uuid, which the auth module's
 * `userIdMatchingUserEntityAnnotation` matches, with or without braces.
 *
 * @public
 */
export const BITBUCKET_USER_ID_ANNOTATION = 'bitbucket.org/user-id';

const MAX_NAME_LENGTH = 63;

/** How Bitbucket writes a uuid: hex digits 8-4-4-4-12 in curly braces */
const BITBUCKET_UUID =
  /^\{([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}$/i;

/**
 * `bitbucket-<uuid without braces>`, lowercased; undefined for anything that
 * is not a Bitbucket uuid. Members choose their nicknames and display names,
 * never their uuid, so no member can pick another's name, a hand-written
 * User's name, or a name another provider makes from a login (GitHub logins
 * are at most 39 characters; this is 46).
 */
export function userEntityName(uuid: string): string | undefined {
  const bare = BITBUCKET_UUID.exec(uuid)?.[1];
  return bare && `bitbucket-${bare.toLowerCase()}`;
}

/**
 * Entity names allow [a-zA-Z0-9._-], at most 63 characters, alphanumeric at
 * both ends. The same rule as the auth module's, so the workspace group is
 * the one its `workspaceOwnership` option names.
 */
function toEntityName(value: string): string {
  return value
    .replace(/[^a-zA-Z0-9._-]+/g, '-')
    .slice(0, MAX_NAME_LENGTH)
    .replace(/^[^a-zA-Z0-9]+|[^a-zA-Z0-9]+$/g, '');
}

/** `group:default/<name>` is what the auth module's `workspaceOwnership` adds to ownership refs */
export function workspaceGroupName(workspace: string): string {
  return toEntityName(workspace.toLowerCase());
}

/** `<workspace group>-owners`, within the length limit with the suffix kept whole */
export function ownersGroupName(workspace: string): string {
  const suffix = '-owners';
  return `${toEntityName(
    workspaceGroupName(workspace).slice(0, MAX_NAME_LENGTH - suffix.length),
  )}${suffix}`;
}

/** What one run read of one workspace */
export interface WorkspaceRead {
  slug: string;
  members: WorkspaceMember[];
  permissions: WorkspaceMemberPermission[];
  /** For the managed-by-location annotations, e.g. `url:https://bitbucket.org/acme` */
  location: string;
}

/**
 * For each workspace its Group and, when it has owners, a Group of them; one
 * User per person, in the Groups of every workspace that lists them.
 * Bitbucket's 2.0 API lists neither emails nor user groups, so there are
 * none; nickname and display name are for humans only (title and profile).
 */
export function orgEntities(
  workspaces: WorkspaceRead[],
): Array<UserEntity | GroupEntity> {
  const groups: GroupEntity[] = [];
  const users = new Map<string, UserEntity>();
  for (const workspace of workspaces) {
    const { slug, location } = workspace;
    const annotations = {
      [ANNOTATION_LOCATION]: location,
      [ANNOTATION_ORIGIN_LOCATION]: location,
    };
    const workspaceGroup = workspaceGroupName(slug);
    const ownersGroup = ownersGroupName(slug);
    const owners = new Set(
      workspace.permissions
        .filter(p => p.permission === 'owner')
        .map(p => userEntityName(p.uuid)),
    );
    let hasOwners = false;

    for (const member of workspace.members) {
      const name = userEntityName(member.uuid);
      if (!name) {
        continue;
      }
      const memberOf = owners.has(name)
        ? [workspaceGroup, ownersGroup]
        : [workspaceGroup];
      hasOwners ||= owners.has(name);
      const known = users.get(name);
      if (known) {
        // listed twice (the list changed while it was read) or in two workspaces
        known.spec.memberOf = [...new Set([...known.spec.memberOf!, ...memberOf])];
        continue;
      }
      const title = member.displayName || member.nickname || undefined;
      users.set(name, {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'User',
        metadata: {
          name,
          ...(title && { title }),
          annotations: {
            ...annotations,
            [BITBUCKET_USER_ID_ANNOTATION]: member.uuid,
          },
        },
        spec: {
          profile: { displayName: title, picture: member.avatarUrl },
          memberOf,
        },
      });
    }

    groups.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: {
        name: workspaceGroup,
        description: `Members of the Bitbucket Cloud workspace ${slug}`,
        annotations,
      },
      spec: {
        type: 'workspace',
        profile: { displayName: slug },
        children: hasOwners ? [ownersGroup] : [],
      },
    });
    if (hasOwners) {
      groups.push({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Group',
        metadata: {
          name: ownersGroup,
          description: `Owners of the Bitbucket Cloud workspace ${slug}`,
          annotations,
        },
        spec: {
          type: 'workspace-owners',
          profile: { displayName: `${slug} owners` },
          parent: workspaceGroup,
          children: [],
        },
      });
    }
  }
  return [...groups, ...users.values()];
}
