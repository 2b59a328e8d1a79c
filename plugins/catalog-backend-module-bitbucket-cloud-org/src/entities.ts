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

/** `base-suffix` within the length limit; the suffix is kept whole */
function withSuffix(base: string, suffix: string): string {
  const head = toEntityName(base.slice(0, MAX_NAME_LENGTH - suffix.length - 1));
  return head ? `${head}-${suffix}` : suffix;
}

/** `group:default/<name>` is what the auth module's `workspaceOwnership` adds to ownership refs */
export function workspaceGroupName(workspace: string): string {
  return toEntityName(workspace.toLowerCase());
}

export function ownersGroupName(workspace: string): string {
  return withSuffix(workspaceGroupName(workspace), 'owners');
}

/** `José.Ñandú` → `jose.nandu`: entity refs are compared case-insensitively */
function nicknameBase(nickname: string | undefined): string {
  return toEntityName(
    (nickname ?? '')
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase(),
  );
}

/** Suffix lengths tried in turn: none, 8 hex digits of the uuid, all 32 */
const SUFFIX_LENGTHS = [0, 8, 32];

/**
 * A unique entity name per member, from the nickname. Every member whose
 * name would be shared with another gets a suffix from their own uuid, so
 * the result depends only on the set of members: never on the order
 * Bitbucket lists them in, and no member can take over another's name by
 * choosing the same nickname. A nickname with nothing usable in it gives
 * `user-<uuid>`.
 */
export function userEntityNames(
  members: Array<Pick<WorkspaceMember, 'uuid' | 'nickname'>>,
): Map<string, string> {
  const people = members.map(member => {
    const base = nicknameBase(member.nickname);
    return {
      uuid: member.uuid,
      hex: member.uuid.replace(/[^0-9a-fA-F]/g, '').toLowerCase(),
      base: base || 'user',
      level: base ? 0 : 1,
    };
  });
  const nameOf = (p: (typeof people)[number]) =>
    p.level === 0
      ? p.base
      : withSuffix(p.base, p.hex.slice(0, SUFFIX_LENGTHS[p.level]));

  for (;;) {
    const byName = new Map<string, typeof people>();
    for (const person of people) {
      const name = nameOf(person);
      const holders = byName.get(name);
      if (holders) {
        holders.push(person);
      } else {
        byName.set(name, [person]);
      }
    }
    const clashes = [...byName.values()].filter(group => group.length > 1);
    const bumpable = clashes
      .flat()
      .filter(p => p.level < SUFFIX_LENGTHS.length - 1);
    if (bumpable.length === 0) {
      if (clashes.length > 0) {
        // with whole uuids as suffixes, only equal uuids can clash
        throw new Error(
          `Bitbucket members ${clashes[0]
            .map(p => p.uuid)
            .join(' and ')} have the same uuid digits`,
        );
      }
      return new Map(people.map(p => [p.uuid, nameOf(p)]));
    }
    for (const person of bumpable) {
      person.level += 1;
    }
  }
}

export interface WorkspaceEntitiesInput {
  workspace: string;
  members: WorkspaceMember[];
  permissions: WorkspaceMemberPermission[];
  /** For the managed-by-location annotations, e.g. `url:https://bitbucket.org/acme` */
  location: string;
}

/**
 * A User per member, the workspace Group, and a Group of its owners when it
 * has any. Bitbucket's 2.0 API lists neither emails nor user groups, so
 * there are none; the nickname is not the username and is used only for the
 * entity name.
 */
export function workspaceEntities(
  input: WorkspaceEntitiesInput,
): Array<UserEntity | GroupEntity> {
  const { workspace, location } = input;
  const members = uniqueByUuid(input.members);
  const annotations = {
    [ANNOTATION_LOCATION]: location,
    [ANNOTATION_ORIGIN_LOCATION]: location,
  };
  const workspaceGroup = workspaceGroupName(workspace);
  const ownersGroup = ownersGroupName(workspace);
  const memberUuids = new Set(members.map(m => m.uuid));
  const owners = new Set(
    input.permissions
      .filter(p => p.permission === 'owner' && memberUuids.has(p.uuid))
      .map(p => p.uuid),
  );
  const names = userEntityNames(members);

  const users = members.map(
    (member): UserEntity => ({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'User',
      metadata: {
        name: names.get(member.uuid)!,
        annotations: {
          ...annotations,
          [BITBUCKET_USER_ID_ANNOTATION]: member.uuid,
        },
      },
      spec: {
        profile: {
          displayName: member.displayName || member.nickname || undefined,
          picture: member.avatarUrl,
        },
        memberOf: owners.has(member.uuid)
          ? [workspaceGroup, ownersGroup]
          : [workspaceGroup],
      },
    }),
  );

  const groups: GroupEntity[] = [
    {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: {
        name: workspaceGroup,
        description: `Members of the Bitbucket Cloud workspace ${workspace}`,
        annotations,
      },
      spec: {
        type: 'workspace',
        profile: { displayName: workspace },
        children: owners.size > 0 ? [ownersGroup] : [],
      },
    },
  ];
  if (owners.size > 0) {
    groups.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: {
        name: ownersGroup,
        description: `Owners of the Bitbucket Cloud workspace ${workspace}`,
        annotations,
      },
      spec: {
        type: 'workspace-owners',
        profile: { displayName: `${workspace} owners` },
        parent: workspaceGroup,
        children: [],
      },
    });
  }
  return [...groups, ...users];
}

/** A member listed on two pages (the list changed while it was read) counts once */
function uniqueByUuid(members: WorkspaceMember[]): WorkspaceMember[] {
  return [...new Map(members.map(m => [m.uuid, m])).values()];
}
