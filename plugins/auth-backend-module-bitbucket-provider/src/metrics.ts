import type { MetricsService } from '@backstage/backend-plugin-api/alpha';
import { isError } from '@backstage/errors';

/**
 * How a sign-in or refresh ended: a bounded set, so a metric attribute can
 * never carry a user, an email, a token or a code.
 */
export type SignInOutcome =
  | 'ok'
  | 'reused'
  | 'not_in_catalog'
  | 'workspace_refused'
  | 'declined'
  | 'bad_request'
  | 'consumer_rejected'
  | 'bitbucket_refused'
  | 'bitbucket_unavailable'
  | 'endpoint_removed'
  | 'catalog_unavailable'
  | 'resolver_refused'
  | 'error';

const OUTCOME = Symbol('bitbucket sign-in outcome');

/** Marks an error with the outcome it stands for, where its name is not enough */
export function withOutcome<E extends Error>(
  error: E,
  outcome: SignInOutcome,
): E {
  return Object.defineProperty(error, OUTCOME, { value: outcome });
}

function taggedOutcome(error: unknown): SignInOutcome | undefined {
  return (error as { [OUTCOME]?: SignInOutcome } | undefined)?.[OUTCOME];
}

/** The outcome of an error thrown while Bitbucket was asked */
export function bitbucketOutcome(error: unknown): SignInOutcome {
  const name = isError(error) ? error.name : '';
  return (
    taggedOutcome(error) ??
    (
      {
        NotImplementedError: 'endpoint_removed',
        ServiceUnavailableError: 'bitbucket_unavailable',
        NotAllowedError: 'consumer_rejected',
        AuthenticationError: 'bitbucket_refused',
        InputError: 'bad_request',
      } as const
    )[name] ??
    'error'
  );
}

/** The outcome of an error that ended a resolver chain */
export function resolverOutcome(error: unknown): SignInOutcome {
  return (
    taggedOutcome(error) ??
    (isError(error) && error.name === 'NotFoundError'
      ? 'not_in_catalog'
      : 'resolver_refused')
  );
}

/** Counts `auth.bitbucket.sign_ins` and `auth.bitbucket.refreshes`, by `reason` */
export function signInCounter(metrics: MetricsService) {
  const counter = (name: string, description: string) =>
    metrics.createCounter<{ reason: SignInOutcome }>(name, { description });
  const counters = {
    signIn: counter(
      'auth.bitbucket.sign_ins',
      'Bitbucket sign-ins, by how they ended',
    ),
    refresh: counter(
      'auth.bitbucket.refreshes',
      'Bitbucket session refreshes, by how they ended',
    ),
  };
  return (kind: keyof typeof counters, reason: SignInOutcome) =>
    counters[kind].add(1, { reason });
}
