import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  GroupEntity,
  UserEntity,
} from '@backstage/catalog-model';
import {
  BITBUCKET_USER_ID_ANNOTATION,
  BitbucketUser,
  bitbucketUserEntityName,
  toEntityName,
} from '@bitbucket-signin/plugin-bitbucket-cloud-common';

/** The workspace's Group: its slug, which the admin chose by configuring it */
export function workspaceGroupName(workspace: string): string {
  return toEntityName(workspace.toLowerCase());
}

/** `<workspace group>-owners`, within the 63-character limit with the suffix kept whole */
export function ownersGroupName(workspace: string): string {
  const suffix = '-owners';
  const base = workspaceGroupName(workspace).slice(0, 63 - suffix.length);
  return `${toEntityName(base)}${suffix}`;
}

/** What one run read of one workspace */
export interface WorkspaceRead {
  slug: string;
  members: BitbucketUser[];
  /** The uuids of its owners */
  owners: string[];
  /** For the managed-by-location annotations, e.g. `url:https://bitbucket.org/acme` */
  location: string;
}

/**
 * Each workspace's Group and, if it has owners, their Group; one User per person, in the Groups
 * of every workspace listing them. Bitbucket's API lists no emails and no user groups.
 */
export function orgEntities(
  workspaces: WorkspaceRead[],
): Array<UserEntity | GroupEntity> {
  const groups: GroupEntity[] = [];
  const users = new Map<string, UserEntity>();
  for (const { slug, members, owners, location } of workspaces) {
    const annotations = {
      [ANNOTATION_LOCATION]: location,
      [ANNOTATION_ORIGIN_LOCATION]: location,
    };
    const workspaceGroup = workspaceGroupName(slug);
    const ownersGroup = ownersGroupName(slug);
    const ownerNames = new Set(owners.map(bitbucketUserEntityName));
    let hasOwners = false;

    for (const member of members) {
      // the uuid, which no member chooses; the client refuses any other
      const name = bitbucketUserEntityName(member.uuid);
      const isOwner = ownerNames.has(name);
      hasOwners ||= isOwner;
      const memberOf = isOwner
        ? [workspaceGroup, ownersGroup]
        : [workspaceGroup];
      const known = users.get(name);
      if (known) {
        // listed twice (the list changed while it was read) or in two workspaces
        known.spec.memberOf = [
          ...new Set([...known.spec.memberOf!, ...memberOf]),
        ];
        continue;
      }
      const title = member.display_name || member.nickname || undefined;
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
          profile: { displayName: title, picture: member.links?.avatar?.href },
          memberOf,
        },
      });
    }

    const group = (name: string, who: string, spec: object): GroupEntity => ({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: {
        name,
        description: `${who} of the Bitbucket Cloud workspace ${slug}`,
        annotations,
      },
      spec: { type: 'workspace', children: [], ...spec },
    });
    groups.push(
      group(workspaceGroup, 'Members', {
        children: hasOwners ? [ownersGroup] : [],
        profile: { displayName: slug },
      }),
    );
    if (hasOwners) {
      groups.push(
        group(ownersGroup, 'Owners', {
          type: 'workspace-owners',
          profile: { displayName: `${slug} owners` },
          parent: workspaceGroup,
        }),
      );
    }
  }
  return [...groups, ...users.values()];
}
