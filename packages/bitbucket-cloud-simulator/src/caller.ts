import { UserWorkspace } from './apiBodies';
import { SimulatorContext } from './context';
import { SimulatorConsumer, SimulatorUser } from './types';

/** Who a REST request acts as, and with which scopes */
export type Caller =
  | {
      kind: 'user';
      user: SimulatorUser;
      /** OAuth scopes of an access token, or an API token's own scopes */
      scopes: string[];
      credential: 'access-token' | 'api-token';
    }
  /** A client-credentials token acts as the consumer's app user */
  | {
      kind: 'app';
      consumer: SimulatorConsumer;
      scopes: string[];
      credential: 'access-token';
    };

/**
 * A workspace by slug. The simulator keeps workspaces only in its users'
 * `workspaces`, so one nobody is in does not exist.
 */
export function findWorkspace(
  ctx: SimulatorContext,
  slug: string,
): Omit<UserWorkspace, 'permission'> | undefined {
  for (const user of ctx.users.values()) {
    const workspace = user.workspaces.find(w => w.slug === slug);
    if (workspace) {
      return {
        slug: workspace.slug,
        name: workspace.name,
        uuid: workspace.uuid,
      };
    }
  }
  return undefined;
}

/**
 * The workspaces the caller reaches. The app user reaches only the workspace
 * that owns the consumer, as a member: the simulator's reading of
 * Bitbucket's "reaches only that workspace's data".
 */
export function workspacesOf(
  ctx: SimulatorContext,
  caller: Caller,
): UserWorkspace[] {
  if (caller.kind === 'user') {
    return caller.user.workspaces;
  }
  const owning =
    caller.consumer.workspace === undefined
      ? undefined
      : findWorkspace(ctx, caller.consumer.workspace);
  return owning ? [{ ...owning, permission: 'member' }] : [];
}
