import { IncomingMessage, ServerResponse } from 'node:http';
import { findWorkspace } from './caller';
import { SimulatorContext } from './context';
import { ConsentParams, renderConsentPage } from './consentPage';
import { appendQuery, parseQuery, readBody, sendJson } from './http';
import { Grant } from './tokenStore';
import { SimulatorConsumer } from './types';

/** What an authorize request (consent page GET, or its form POST) results in */
export type AuthorizeOutcome =
  | { type: 'page'; html: string }
  | { type: 'error'; message: string }
  | { type: 'redirect'; location: string };

type Checked =
  | { ok: true; consumer: SimulatorConsumer; target: string }
  | { ok: false; outcome: AuthorizeOutcome };

function withState(
  params: Record<string, string>,
  state: string | undefined,
): Record<string, string> {
  return state === undefined ? params : { ...params, state };
}

/** The checks both the consent page and its form submission make, in Bitbucket's order */
function checkAuthorizeParams(
  ctx: SimulatorContext,
  params: Record<string, string>,
): Checked {
  const consumer = ctx.consumers.get(params.client_id ?? '');
  if (!consumer) {
    return {
      ok: false,
      outcome: {
        type: 'error',
        message: `Invalid client_id: no OAuth consumer has the key "${
          params.client_id ?? ''
        }".`,
      },
    };
  }
  const redirectUri = params.redirect_uri || undefined;
  if (redirectUri && !redirectUri.startsWith(consumer.callbackUrl)) {
    return {
      ok: false,
      outcome: {
        type: 'error',
        message: "redirect_uri does not match the consumer's callback URL",
      },
    };
  }
  const target = redirectUri ?? consumer.callbackUrl;
  if (params.response_type !== 'code') {
    return {
      ok: false,
      outcome: {
        type: 'redirect',
        location: appendQuery(
          target,
          withState(
            {
              error: 'unsupported_response_type',
              error_description: 'Only response_type=code is supported',
            },
            params.state,
          ),
        ),
      },
    };
  }
  return { ok: true, consumer, target };
}

/** `GET /site/oauth2/authorize`: the consent page, or why there is none */
export function authorizePage(
  ctx: SimulatorContext,
  params: Record<string, string>,
): AuthorizeOutcome {
  const checked = checkAuthorizeParams(ctx, params);
  if (!checked.ok) {
    return checked.outcome;
  }
  const consentParams: ConsentParams = {
    client_id: params.client_id,
    response_type: params.response_type,
    state: params.state,
    redirect_uri: params.redirect_uri || undefined,
  };
  return {
    type: 'page',
    html: renderConsentPage({
      consumer: checked.consumer,
      users: ctx.users.values(),
      params: consentParams,
    }),
  };
}

/** `POST /site/oauth2/authorize`: the user's choice on the consent page */
export function authorizeDecision(
  ctx: SimulatorContext,
  form: Record<string, string>,
): AuthorizeOutcome {
  const checked = checkAuthorizeParams(ctx, form);
  if (!checked.ok) {
    return checked.outcome;
  }
  const { consumer, target } = checked;
  if (form.decision === 'deny') {
    return {
      type: 'redirect',
      location: appendQuery(
        target,
        withState(
          {
            error: 'access_denied',
            error_description: 'The user denied access',
          },
          form.state,
        ),
      ),
    };
  }
  const user = ctx.users.get(form.user ?? '');
  if (!user) {
    return {
      type: 'error',
      message: `Unknown user "${
        form.user ?? ''
      }": pick one of the listed accounts.`,
    };
  }
  const code = ctx.tokens.issueCode(
    {
      consumerKey: consumer.key,
      username: user.username,
      scopes: consumer.scopes,
    },
    form.redirect_uri || undefined,
    ctx.authorizationCodeTtlSeconds * 1000,
  );
  return {
    type: 'redirect',
    location: appendQuery(target, withState({ code }, form.state)),
  };
}

function oauthError(
  res: ServerResponse,
  status: number,
  error: string,
  description: string,
) {
  sendJson(
    res,
    status,
    { error, error_description: description },
    status === 401
      ? { 'www-authenticate': 'Basic realm="Bitbucket.org HTTP"' }
      : {},
  );
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/**
 * The client's credentials, from HTTP Basic (`key:secret`, raw or
 * form-encoded as RFC 6749 says) or else from the `client_id`/`client_secret`
 * form fields. Undefined when none were sent.
 */
function clientCredentials(
  authorization: string | undefined,
  form: Record<string, string>,
): Array<{ key: string; secret: string }> | undefined {
  const match = /^basic\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (match) {
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) {
      return [];
    }
    const key = decoded.slice(0, colon);
    const secret = decoded.slice(colon + 1);
    const candidates = [{ key, secret }];
    const decodedKey = safeDecode(key);
    const decodedSecret = safeDecode(secret);
    if (decodedKey !== undefined && decodedSecret !== undefined) {
      candidates.push({ key: decodedKey, secret: decodedSecret });
    }
    return candidates;
  }
  if (form.client_id !== undefined || form.client_secret !== undefined) {
    return [{ key: form.client_id ?? '', secret: form.client_secret ?? '' }];
  }
  return undefined;
}

function authenticateClient(
  ctx: SimulatorContext,
  candidates: Array<{ key: string; secret: string }>,
): SimulatorConsumer | undefined {
  for (const { key, secret } of candidates) {
    const consumer = ctx.consumers.get(key);
    if (consumer && consumer.secret === secret) {
      return consumer;
    }
  }
  return undefined;
}

/** A client-credentials answer has no refresh token */
function sendTokens(
  ctx: SimulatorContext,
  res: ServerResponse,
  grant: Grant,
  refreshToken: string | undefined,
  state: 'authorization_code' | 'refresh_token' | 'client_credentials',
) {
  const accessToken = ctx.tokens.issueAccessToken(
    grant,
    ctx.accessTokenTtlSeconds * 1000,
  );
  sendJson(
    res,
    200,
    {
      access_token: accessToken,
      scope: grant.scopes.join(' '),
      expires_in: ctx.accessTokenTtlSeconds,
      ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
      token_type: 'bearer',
      state,
    },
    { 'cache-control': 'no-store', pragma: 'no-cache' },
  );
}

/** A token for the consumer's app user, with the consumer's permissions; private consumers only */
function clientCredentialsGrant(
  ctx: SimulatorContext,
  res: ServerResponse,
  consumer: SimulatorConsumer,
) {
  if (!consumer.isPrivate) {
    oauthError(
      res,
      400,
      'unauthorized_client',
      'Client credentials are only allowed for private consumers',
    );
    return;
  }
  if (
    consumer.workspace === undefined ||
    !findWorkspace(ctx, consumer.workspace)
  ) {
    // a simulator set-up mistake, not something Bitbucket can answer
    oauthError(
      res,
      400,
      'unauthorized_client',
      `The private consumer's workspace ${JSON.stringify(
        consumer.workspace ?? null,
      )} is not a workspace of any of the simulator's users: set "workspace" on the consumer`,
    );
    return;
  }
  const grant: Grant = { consumerKey: consumer.key, scopes: consumer.scopes };
  sendTokens(ctx, res, grant, undefined, 'client_credentials');
}

function authorizationCodeGrant(
  ctx: SimulatorContext,
  res: ServerResponse,
  consumer: SimulatorConsumer,
  form: Record<string, string>,
) {
  if (!form.code) {
    oauthError(res, 400, 'invalid_request', 'Missing code parameter');
    return;
  }
  const record = ctx.tokens.getCode(form.code);
  if (!record || record.consumerKey !== consumer.key) {
    oauthError(
      res,
      400,
      'invalid_grant',
      'The authorization code is invalid or has already been used',
    );
    return;
  }
  if (record.expiresAt <= Date.now()) {
    ctx.tokens.deleteCode(form.code);
    oauthError(res, 400, 'invalid_grant', 'The authorization code has expired');
    return;
  }
  if (
    record.redirectUri !== undefined &&
    form.redirect_uri !== undefined &&
    form.redirect_uri !== record.redirectUri
  ) {
    oauthError(
      res,
      400,
      'invalid_grant',
      'redirect_uri does not match the one of the authorization request',
    );
    return;
  }
  ctx.tokens.deleteCode(form.code);
  const grant: Grant = {
    consumerKey: record.consumerKey,
    username: record.username,
    scopes: record.scopes,
  };
  const refreshToken = ctx.tokens.issueRefreshToken(grant);
  sendTokens(ctx, res, grant, refreshToken, 'authorization_code');
}

/** The simulator's wording: Bitbucket's own texts are not documented */
const REFRESH_REFUSALS = {
  used: 'The refresh token has already been used: each refresh answers a new one',
  expired: 'The refresh token has expired: it was not used for 3 months',
  unknown: 'The refresh token is unknown or revoked',
};

function refreshTokenGrant(
  ctx: SimulatorContext,
  res: ServerResponse,
  consumer: SimulatorConsumer,
  form: Record<string, string>,
) {
  if (!form.refresh_token) {
    oauthError(res, 400, 'invalid_request', 'Missing refresh_token parameter');
    return;
  }
  const found = ctx.tokens.findRefreshToken(form.refresh_token);
  if (found.status === 'unknown' || found.record.consumerKey !== consumer.key) {
    oauthError(res, 400, 'invalid_grant', REFRESH_REFUSALS.unknown);
    return;
  }
  if (found.status !== 'live') {
    oauthError(res, 400, 'invalid_grant', REFRESH_REFUSALS[found.status]);
    return;
  }
  const { consumerKey, username, scopes } = found.record;
  const refreshToken = ctx.tokens.rotateRefreshToken(form.refresh_token);
  sendTokens(
    ctx,
    res,
    { consumerKey, username, scopes },
    refreshToken,
    'refresh_token',
  );
}

/** `POST /site/oauth2/access_token` */
export async function handleAccessToken(
  ctx: SimulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (req.method !== 'POST') {
    req.resume();
    oauthError(
      res,
      405,
      'invalid_request',
      'The token endpoint only accepts POST',
    );
    return;
  }
  const form = parseQuery(await readBody(req));

  const candidates = clientCredentials(req.headers.authorization, form);
  if (!candidates) {
    oauthError(
      res,
      401,
      'invalid_client',
      'Client credentials missing: send them with HTTP Basic or as client_id and client_secret',
    );
    return;
  }
  const consumer = authenticateClient(ctx, candidates);
  if (!consumer) {
    oauthError(res, 401, 'invalid_client', 'Invalid OAuth client credentials');
    return;
  }

  switch (form.grant_type) {
    case 'authorization_code':
      authorizationCodeGrant(ctx, res, consumer, form);
      return;
    case 'refresh_token':
      refreshTokenGrant(ctx, res, consumer, form);
      return;
    case 'client_credentials':
      clientCredentialsGrant(ctx, res, consumer);
      return;
    case undefined:
    case '':
      oauthError(res, 400, 'invalid_request', 'Missing grant_type parameter');
      return;
    default:
      oauthError(
        res,
        400,
        'unsupported_grant_type',
        `Unsupported grant type: ${form.grant_type}`,
      );
  }
}
