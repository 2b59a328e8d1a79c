import { avatarUrlOf, SimulatorContext } from './context';
import { stableUuid } from './stableUuid';
import { SimulatorConsumer, SimulatorUser } from './types';

/** The simulator's accounts have no creation date of their own: a fixed one keeps responses stable */
const CREATED_ON = '2019-03-14T09:26:53.512031+00:00';

/** A workspace as a user's `workspaces` entry holds it */
export type UserWorkspace = SimulatorUser['workspaces'][number];

function userLinks(ctx: SimulatorContext, user: SimulatorUser) {
  const id = encodeURIComponent(user.uuid);
  return {
    avatar: { href: avatarUrlOf(ctx, user) },
    html: { href: `${ctx.url}/${id}/` },
    self: { href: `${ctx.apiBaseUrl}/users/${id}` },
  };
}

/** `GET /2.0/user` */
export function userBody(ctx: SimulatorContext, user: SimulatorUser) {
  return {
    type: 'user',
    uuid: user.uuid,
    account_id: user.accountId,
    username: user.username,
    nickname: user.nickname,
    display_name: user.displayName,
    account_status: 'active',
    links: userLinks(ctx, user),
    created_on: CREATED_ON,
  };
}

/** A user as it appears inside other objects */
export function userSummary(ctx: SimulatorContext, user: SimulatorUser) {
  return {
    type: 'user',
    uuid: user.uuid,
    account_id: user.accountId,
    nickname: user.nickname,
    display_name: user.displayName,
    links: userLinks(ctx, user),
  };
}

/** `GET /2.0/user/emails` items */
export function emailValues(user: SimulatorUser) {
  return user.emails.map(e => ({
    type: 'email',
    email: e.email,
    is_primary: e.isPrimary,
    is_confirmed: e.isConfirmed,
    links: {},
  }));
}

/** A workspace as it appears inside memberships */
export function workspaceSummary(ctx: SimulatorContext, w: UserWorkspace) {
  return {
    type: 'workspace',
    uuid: w.uuid,
    slug: w.slug,
    name: w.name,
    links: {
      avatar: { href: `${ctx.url}/workspaces/${w.slug}/avatar/` },
      html: { href: `${ctx.url}/${w.slug}/` },
      self: { href: `${ctx.apiBaseUrl}/workspaces/${w.slug}` },
    },
  };
}

/** A workspace as the workspace endpoints of the current user show it */
export function workspaceBase(w: UserWorkspace) {
  return { type: 'workspace_base', uuid: w.uuid, slug: w.slug, name: w.name };
}

/** `GET /2.0/user` for a client-credentials token; the app user has no username, nickname or email */
export function appUserBody(consumer: SimulatorConsumer) {
  const uuid = stableUuid(`app-user:${consumer.key}`);
  return {
    type: 'app_user',
    uuid,
    account_id: `557058:${uuid.slice(1, -1)}`,
    display_name: `${consumer.key} (app user)`,
    account_status: 'active',
    links: {},
    created_on: CREATED_ON,
  };
}
