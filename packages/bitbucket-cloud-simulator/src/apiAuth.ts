import { accountEmail } from './accountEmail';
import { Caller } from './caller';
import { SimulatorContext } from './context';

const HEADER_ONLY =
  'Access tokens are accepted in the Authorization header only: Authorization: Bearer <access_token>.';
const INVALID_API_TOKEN =
  'Invalid API token: HTTP Basic needs the Atlassian account email and one of its API tokens.';

/** `Authorization: Bearer <access token>` of an OAuth consumer */
function fromAccessToken(
  ctx: SimulatorContext,
  token: string,
): Caller | string {
  const record = ctx.tokens.getAccessToken(token);
  if (!record) {
    return 'Invalid access token.';
  }
  if (record.expiresAt <= Date.now()) {
    return 'Access token expired.';
  }
  const { username, scopes } = record;
  const credential = 'access-token';
  if (username === undefined) {
    // consumers are fixed at start: the one a token was issued to exists
    const consumer = ctx.consumers.get(record.consumerKey)!;
    return { kind: 'app', consumer, scopes, credential };
  }
  const user = ctx.users.get(username);
  return user
    ? { kind: 'user', user, scopes, credential }
    : 'Invalid access token.';
}

/** `Authorization: Basic <email:api token>`, what replaced app passwords */
function fromApiToken(ctx: SimulatorContext, encoded: string): Caller | string {
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) {
    return INVALID_API_TOKEN;
  }
  const email = decoded.slice(0, colon).toLowerCase();
  const token = decoded.slice(colon + 1);
  for (const user of ctx.users.values()) {
    const apiToken = user.apiTokens?.find(t => t.token === token);
    if (apiToken && accountEmail(user)?.email.toLowerCase() === email) {
      const { scopes } = apiToken;
      return { kind: 'user', user, scopes, credential: 'api-token' };
    }
  }
  return INVALID_API_TOKEN;
}

/**
 * Who a REST request acts as, from its Authorization header, or why it is
 * refused (a 401 message). Bitbucket no longer accepts an access_token query
 * parameter or form field.
 */
export function authenticate(
  ctx: SimulatorContext,
  authorization: string | undefined,
): Caller | string {
  const [, scheme, credentials] =
    /^(bearer|basic)\s+(\S+)\s*$/i.exec(authorization ?? '') ?? [];
  if (scheme?.toLowerCase() === 'bearer') {
    return fromAccessToken(ctx, credentials);
  }
  if (scheme?.toLowerCase() === 'basic') {
    return fromApiToken(ctx, credentials);
  }
  return HEADER_ONLY;
}
