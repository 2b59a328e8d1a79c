import { Caller } from './caller';
import { SimulatorContext } from './context';

/**
 * Who a REST request acts as, from its Authorization header, or why it is
 * refused (a 401 message). Bitbucket no longer accepts an access_token query
 * parameter or form field.
 */
export function authenticate(
  ctx: SimulatorContext,
  authorization: string | undefined,
): Caller | string {
  const token = /^bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  if (!token) {
    return 'Access tokens are accepted in the Authorization header only: Authorization: Bearer <access_token>.';
  }
  const record = ctx.tokens.getAccessToken(token);
  if (!record) {
    return 'Invalid access token.';
  }
  if (record.expiresAt <= Date.now()) {
    return 'Access token expired.';
  }
  const { username, scopes } = record;
  if (username === undefined) {
    const consumer = ctx.consumers.get(record.consumerKey)!;
    return { kind: 'app', consumer, scopes };
  }
  const user = ctx.users.get(username);
  return user ? { kind: 'user', user, scopes } : 'Invalid access token.';
}
