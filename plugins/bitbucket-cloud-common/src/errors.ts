import {
  AuthenticationError,
  InputError,
  NotAllowedError,
  NotFoundError,
  NotImplementedError,
  ServiceUnavailableError,
} from '@backstage/errors';

/**
 * Bitbucket failures, worded for the admin who has to act on them. Messages
 * carry the method, path and status, never a token, a code or a secret, and
 * Bitbucket's own words cut short, since they reach logs.
 */

/** A 4xx answer of the REST API, as callers may word it with their context @public */
export interface BitbucketRefusal {
  /** e.g. `GET /2.0/user/emails` */
  request: string;
  /** The HTTP status, 400 to 499 */
  status: number;
  /** Bitbucket's `error.message`, cut short */
  message?: string;
  /** Bitbucket's `error.detail.required` on a 403: the scopes the credentials lack */
  requiredScopes?: string[];
}

/** Turns a refusal into the error to throw; undefined leaves it to the default wording @public */
export type BitbucketRefusalWording = (
  refusal: BitbucketRefusal,
) => Error | undefined;

/** The OAuth consumer permission, or API token scope, that grants each scope */
const PERMISSION_OF_SCOPE: Record<string, string> = {
  account: 'OAuth consumer permission "Account: Read" (scope account)',
  email: 'OAuth consumer permission "Account: Email" (scope email)',
  team: 'OAuth consumer permission "Workspace membership: Read" (scope team)',
};

/** Bitbucket is down, slow or rate limiting: a retry may help @public */
export function bitbucketUnavailable(
  request: string,
  reason: string,
): ServiceUnavailableError {
  return new ServiceUnavailableError(
    `Bitbucket Cloud failed: ${request} ${reason}. Nothing is wrong with your account or configuration; try again in a moment`,
  );
}

/** Bitbucket answered something this version cannot read: a retry will not help @public */
export function bitbucketAnsweredUnexpectedly(
  request: string,
  reason: string,
): ServiceUnavailableError {
  return new ServiceUnavailableError(
    `Bitbucket Cloud answered ${request} unexpectedly: ${reason}. If this persists, Bitbucket Cloud may have changed its API; upgrade the Bitbucket plugins (@bitbucket-signin/*)`,
  );
}

/** Where a workspace admin changes an OAuth consumer, for messages that say what to tick @public */
export const EDIT_OAUTH_CONSUMER =
  'in Bitbucket open Workspace settings > OAuth consumers > your consumer > Edit';

/** What a refusal says, e.g. `Bitbucket Cloud refused GET /2.0/user (HTTP 403: …)` @public */
export function describeRefusal(refusal: BitbucketRefusal): string {
  return `Bitbucket Cloud refused ${refusal.request} (HTTP ${refusal.status}${
    refusal.message ? `: ${refusal.message}` : ''
  })`;
}

/** Names what grants each scope, e.g. `OAuth consumer permission "Account: Read" (scope account)` @public */
export function describeScopes(scopes: string[]): string {
  return scopes
    .map(scope => PERMISSION_OF_SCOPE[scope] ?? `scope ${scope}`)
    .join(' and ');
}

/** The wording of a refusal that no caller words with its own context @public */
export function defaultRefusalError(refusal: BitbucketRefusal): Error {
  const what = describeRefusal(refusal);
  switch (refusal.status) {
    case 410:
      return new NotImplementedError(
        `${what}: Bitbucket Cloud removed this endpoint, which this version of the Bitbucket plugins calls. Upgrade the Bitbucket plugins (@bitbucket-signin/*); retrying will not help`,
      );
    case 401:
      return new AuthenticationError(
        `${what}: the credentials were not accepted`,
      );
    case 403:
      return new NotAllowedError(
        refusal.requiredScopes?.length
          ? `${what}: the credentials lack the ${describeScopes(
              refusal.requiredScopes,
            )}`
          : `${what}: the credentials may not read this`,
      );
    case 404:
      return new NotFoundError(
        `${what}: it does not exist, or these credentials cannot see it`,
      );
    default:
      return new InputError(`${what}; retrying will not help`);
  }
}
