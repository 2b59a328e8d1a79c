import { LoggerService } from '@backstage/backend-plugin-api';
import { InputError, isError, NotAllowedError } from '@backstage/errors';
import {
  AuthProviderFactory,
  AuthProviderRouteHandlers,
  AuthResolverContext,
  createOAuthProviderFactory,
  decodeOAuthState,
  OAuthAuthenticator,
  OAuthAuthenticatorResult,
  SignInInfo,
  SignInResolver,
  SignInResolverFactory,
} from '@backstage/plugin-auth-node';
import { BITBUCKET_USER_ID_ANNOTATION } from '@bitbucket-signin/plugin-bitbucket-cloud-common';
import type { MetricsService } from '@backstage/backend-plugin-api/alpha';
import { createBitbucketAuthenticator } from './authenticator';
import {
  bitbucketOutcome,
  SignInMetrics,
  taggedOutcome,
  withOutcome,
} from './metrics';
import {
  finalOutcome,
  noteOutcome,
  SignInPass,
  signInPasses,
} from './signInPass';
import { BitbucketIdentity, describeUser } from './identity';
import { bitbucketSignInResolvers, catalogUnavailable } from './resolvers';

type BitbucketResult = OAuthAuthenticatorResult<BitbucketIdentity>;

/**
 * Options of {@link createBitbucketProviderFactory}.
 *
 * @public
 */
export interface BitbucketProviderFactoryOptions {
  /** Default: `createBitbucketAuthenticator({ logger })` */
  authenticator?: OAuthAuthenticator<unknown, BitbucketIdentity>;
  /** Used when the config names no `signIn.resolvers` */
  signInResolver?: SignInResolver<OAuthAuthenticatorResult<BitbucketIdentity>>;
  /** The resolvers `signIn.resolvers` may name. Default: {@link bitbucketSignInResolvers} */
  signInResolverFactories?: Record<
    string,
    SignInResolverFactory<OAuthAuthenticatorResult<BitbucketIdentity>>
  >;
  /** Where a sign-in that no resolver completes is logged, with what each looked for */
  logger?: LoggerService;
  /** Counts sign-ins and refreshes by outcome; `metricsServiceRef` of `@backstage/backend-plugin-api/alpha` */
  metrics?: MetricsService;
}

/**
 * The auth provider factory for Bitbucket Cloud: the framework's own
 * `createOAuthProviderFactory`, with its handlers wrapped in the guards this
 * module promises. Custom sign-in resolvers go through here too, so they keep
 * the guards:
 *
 * - a callback whose `state`, `code` or `error` is repeated or not a string is
 *   refused before anything reads it;
 * - a callback whose state names a foreign origin is refused before the
 *   framework posts anything to that origin;
 * - a sign-in that no resolver completes tells the engineer they are not in
 *   the catalog, or that the catalog did not answer;
 * - a refresh while Bitbucket is down answers 503, not 401: the session
 *   has not ended.
 *
 * @public
 */
export function createBitbucketProviderFactory(
  options: BitbucketProviderFactoryOptions = {},
): AuthProviderFactory {
  const { logger } = options;
  const factories = Object.fromEntries(
    Object.entries<SignInResolverFactory<BitbucketResult>>(
      options.signInResolverFactories ?? bitbucketSignInResolvers,
    ).map(([name, factory]): [string, SignInResolverFactory] => [
      name,
      (resolverOptions?: unknown) =>
        reportingChain(factory(resolverOptions), logger),
    ]),
  );
  const framework = createOAuthProviderFactory<BitbucketIdentity>({
    authenticator: observedAuthenticator(
      options.authenticator ?? createBitbucketAuthenticator({ logger }),
    ),
    signInResolver: options.signInResolver && observed(options.signInResolver),
    signInResolverFactories: factories,
  });
  const counters = options.metrics && new SignInMetrics(options.metrics);
  return ctx => {
    const handlers = framework(ctx);
    type Handler = AuthProviderRouteHandlers['frameHandler'];
    /** Runs a request in its own pass, and counts how it ended */
    const inPass =
      (kind: 'signIn' | 'refresh', handler: Handler): Handler =>
      async (req, res) => {
        const env = requestEnv(req);
        // an unknown environment is the framework's to refuse
        const resolverCount = ctx.config.keys().includes(env)
          ? ctx.config.getOptionalConfigArray(`${env}.signIn.resolvers`)
              ?.length ?? 1
          : 1;
        const pass: SignInPass = { resolverCount, misses: [] };
        try {
          await signInPasses.run(pass, () => handler(req, res));
        } catch (error) {
          pass.outcome ??= taggedOutcome(error) ?? bitbucketOutcome(error);
          throw error;
        } finally {
          counters?.record(kind, finalOutcome(pass));
        }
      };
    // the framework's handlers are a class instance: its methods are called
    // on it, not spread
    return {
      start: (req, res) => handlers.start(req, res),
      frameHandler: inPass(
        'signIn',
        refuseUnreadableCallback(
          refuseForeignStateOrigin(ctx.isOriginAllowed, (req, res) =>
            handlers.frameHandler(req, res),
          ),
        ),
      ),
      refresh: inPass(
        'refresh',
        answerOutagesAsOutages((req, res) => handlers.refresh!(req, res)),
      ),
      logout: (req, res) => handlers.logout!(req, res),
    };
  };
}

/** Notes in the request's pass whether asking Bitbucket worked, and why not */
function observedAuthenticator(
  authenticator: OAuthAuthenticator<unknown, BitbucketIdentity>,
): OAuthAuthenticator<unknown, BitbucketIdentity> {
  const observe =
    <A extends unknown[], R>(step: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        const result = await step(...args);
        const pass = signInPasses.getStore();
        if (pass) {
          pass.authenticated = true;
        }
        return result;
      } catch (error) {
        noteOutcome(bitbucketOutcome(error));
        throw error;
      }
    };
  return {
    ...authenticator,
    authenticate: observe(authenticator.authenticate),
    refresh: observe(authenticator.refresh),
  };
}

/** Notes in the request's pass why a custom resolver refused the user */
function observed(
  resolver: SignInResolver<BitbucketResult>,
): SignInResolver<BitbucketResult> {
  return async (info, ctx) => {
    try {
      return await resolver(info, ctx);
    } catch (error) {
      noteOutcome(resolverOutcome(error));
      throw error;
    }
  };
}

function resolverOutcome(error: unknown) {
  return (
    taggedOutcome(error) ??
    (isError(error) && error.name === 'NotFoundError'
      ? 'not_in_catalog'
      : 'resolver_refused')
  );
}

/**
 * The framework's chain tries the next resolver on a NotFoundError and, after
 * the last, says only that no user could be resolved. The last miss says
 * instead what the engineer can do, after checking that the catalog answers
 * at all: a catalog that never started finds nobody either.
 */
function reportingChain(
  resolver: SignInResolver<BitbucketResult>,
  logger?: LoggerService,
): SignInResolver<BitbucketResult> {
  return async (info, ctx) => {
    try {
      return await resolver(info, ctx);
    } catch (error) {
      const pass = signInPasses.getStore();
      if (!pass || !isError(error) || error.name !== 'NotFoundError') {
        // the chain stops here
        noteOutcome(resolverOutcome(error));
        throw error;
      }
      pass.misses.push(error.message);
      if (pass.misses.length < pass.resolverCount) {
        throw error;
      }
      const failure = await lastMiss(info, ctx, pass.misses, logger);
      noteOutcome(resolverOutcome(failure));
      throw failure;
    }
  };
}

/** Not in the catalog, unless the catalog did not answer at all */
async function lastMiss(
  info: SignInInfo<BitbucketResult>,
  ctx: AuthResolverContext,
  misses: string[],
  logger?: LoggerService,
): Promise<Error> {
  const unavailable = await catalogFailure(info, ctx);
  if (unavailable) {
    return unavailable;
  }
  const identity = info.result.fullProfile;
  const lookedFor = misses.join('; ');
  logger?.warn(
    `Bitbucket user ${describeUser(identity)} ${
      identity.uuid
    } matches no User entity in the catalog: ${lookedFor}`,
  );
  // the sign-in page shows this to the engineer: what to do first, then
  // what the admin will need
  return withOutcome(
    new NotAllowedError(
      `Your Bitbucket account ${describeUser(
        identity,
      )} is not in this Backstage catalog yet; ask your Backstage admin to add you. Looked for: ${lookedFor}`,
    ),
    'not_in_catalog',
  );
}

/** Why the catalog could not be asked, if it could not; a catalog that never started finds nobody either */
async function catalogFailure(
  info: SignInInfo<BitbucketResult>,
  ctx: AuthResolverContext,
): Promise<Error | undefined> {
  try {
    await ctx.findCatalogUser({
      filter: {
        [`metadata.annotations.${BITBUCKET_USER_ID_ANNOTATION}`]:
          info.result.fullProfile.uuid,
      },
    });
  } catch (error) {
    if (
      isError(error) &&
      ['NotFoundError', 'ConflictError'].includes(error.name)
    ) {
      return undefined;
    }
    return catalogUnavailable(error);
  }
  return undefined;
}

/** The environment a request is for, as the framework picks it */
function requestEnv(req: { query: Record<string, unknown> }): string {
  const { env, state } = req.query;
  if (typeof env === 'string' && env) {
    return env;
  }
  try {
    return typeof state === 'string' ? decodeOAuthState(state).env : '';
  } catch {
    return '';
  }
}

/**
 * A repeated parameter is an array to Express, and the framework reads the
 * state with `toString()`, which joins the copies: `state=<forged>&state=x`
 * would slip a forged state past the origin check. Refused first.
 */
function refuseUnreadableCallback(
  frameHandler: AuthProviderRouteHandlers['frameHandler'],
): AuthProviderRouteHandlers['frameHandler'] {
  return async (req, res) => {
    for (const name of ['state', 'code', 'error']) {
      const value = req.query[name];
      if (value !== undefined && typeof value !== 'string') {
        throw new InputError(
          `The Bitbucket callback's ${name} parameter must appear once, as plain text; start the sign-in again`,
        );
      }
    }
    return frameHandler(req, res);
  };
}

/**
 * The callback's state is not signed, and the framework adopts the state's
 * `origin` as the address its popup page posts to before it checks it, so a
 * forged state had even the refusal posted to a foreign page. Such a callback
 * is refused here, before the framework reads it.
 */
function refuseForeignStateOrigin(
  isOriginAllowed: (origin: string) => boolean,
  frameHandler: AuthProviderRouteHandlers['frameHandler'],
): AuthProviderRouteHandlers['frameHandler'] {
  return async (req, res) => {
    const origin = stateOrigin(req.query.state);
    if (
      origin !== undefined &&
      !(URL.canParse(origin) && isOriginAllowed(new URL(origin).origin))
    ) {
      throw new NotAllowedError(
        `The sign-in callback names ${origin.slice(
          0,
          100,
        )}, which is not an origin of this Backstage app (app.baseUrl, backend.cors.origin); start the sign-in from the app`,
      );
    }
    return frameHandler(req, res);
  };
}

/** The origin a callback's state names; undefined when it names none or cannot be read (the framework refuses those) */
function stateOrigin(state: unknown): string | undefined {
  try {
    return typeof state === 'string'
      ? decodeOAuthState(state).origin
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The framework answers every failed refresh 401 "Refresh failed", as if the
 * session had ended. When Bitbucket is down, slow, or no longer serves an
 * endpoint this version calls, it has not: the refresh cookie stays and works
 * once Bitbucket (or the plugin) does. Such a refresh answers with the reason.
 */
function answerOutagesAsOutages(
  refresh: NonNullable<AuthProviderRouteHandlers['refresh']>,
): NonNullable<AuthProviderRouteHandlers['refresh']> {
  return async (req, res) => {
    try {
      await refresh(req, res);
    } catch (error) {
      const cause = isError(error) ? error.cause : undefined;
      if (
        isError(cause) &&
        ['ServiceUnavailableError', 'NotImplementedError'].includes(cause.name)
      ) {
        throw cause;
      }
      throw error;
    }
  };
}
