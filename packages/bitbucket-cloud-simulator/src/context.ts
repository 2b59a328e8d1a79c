import { TokenStore } from './tokenStore';
import { SimulatorConsumer, SimulatorUser } from './types';

/** The state the request handlers share; one per running simulator */
export interface SimulatorContext {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `${url}/2.0` */
  readonly apiBaseUrl: string;
  /** By username; entries are replaced by updateUser */
  readonly users: Map<string, SimulatorUser>;
  /** By key (client id) */
  readonly consumers: Map<string, SimulatorConsumer>;
  readonly tokens: TokenStore;
  readonly accessTokenTtlSeconds: number;
  readonly authorizationCodeTtlSeconds: number;
}

/** The avatar URL Bitbucket would report for a user */
export function avatarUrlOf(ctx: SimulatorContext, user: SimulatorUser) {
  return (
    user.avatarUrl ??
    `${ctx.url}/avatars/${encodeURIComponent(user.username)}.svg`
  );
}
