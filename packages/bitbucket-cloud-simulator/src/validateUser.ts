import { SimulatorUser, WorkspacePermission } from './types';

const WORKSPACE_PERMISSIONS: unknown[] = [
  'owner',
  'member',
] satisfies WorkspacePermission[];

const USER_FIELDS: Record<string, (value: unknown) => boolean> = {
  uuid: v => typeof v === 'string',
  accountId: v => typeof v === 'string',
  nickname: v => typeof v === 'string',
  displayName: v => typeof v === 'string',
  avatarUrl: v => v === undefined || typeof v === 'string',
  emails: v =>
    Array.isArray(v) &&
    v.every(
      e =>
        typeof e?.email === 'string' &&
        typeof e?.isPrimary === 'boolean' &&
        typeof e?.isConfirmed === 'boolean',
    ),
  apiTokens: v =>
    v === undefined ||
    (Array.isArray(v) &&
      v.every(
        t =>
          typeof t?.token === 'string' &&
          t.token !== '' &&
          Array.isArray(t?.scopes) &&
          t.scopes.every((s: unknown) => typeof s === 'string'),
      )),
  workspaces: v =>
    Array.isArray(v) &&
    v.every(
      w =>
        typeof w?.slug === 'string' &&
        typeof w?.name === 'string' &&
        typeof w?.uuid === 'string' &&
        WORKSPACE_PERMISSIONS.includes(w.permission),
    ),
};

/** Data written for the 2025 API may still have the role: say so plainly */
function rejectCollaborator(workspaces: unknown): void {
  if (
    Array.isArray(workspaces) &&
    workspaces.some(w => w?.permission === 'collaborator')
  ) {
    throw new TypeError(
      'Workspace permission "collaborator" no longer exists on Bitbucket Cloud: use "owner" or "member"',
    );
  }
}

/** Checks the workspaces of a user the simulator starts with */
export function validateWorkspaces(workspaces: unknown): void {
  rejectCollaborator(workspaces);
  if (!USER_FIELDS.workspaces(workspaces)) {
    throw new TypeError('Invalid workspaces of a user');
  }
}

/** Checks a partial user sent to `PATCH /_simulator/users/<username>` */
export function validateUserChange(
  input: unknown,
): Partial<Omit<SimulatorUser, 'username'>> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new TypeError('The body must be a JSON object (a partial user)');
  }
  for (const [key, value] of Object.entries(input)) {
    const check = USER_FIELDS[key];
    if (!check) {
      throw new TypeError(
        `Unknown or unchangeable user field "${key}"; allowed: ${Object.keys(
          USER_FIELDS,
        ).join(', ')}`,
      );
    }
    if (key === 'workspaces') {
      rejectCollaborator(value);
    }
    if (!check(value)) {
      throw new TypeError(`Invalid value for user field "${key}"`);
    }
  }
  return input as Partial<Omit<SimulatorUser, 'username'>>;
}
