import { LoggerService } from '@backstage/backend-plugin-api';
import type { MetricsService } from '@backstage/backend-plugin-api/alpha';
import { Config } from '@backstage/config';
import { InputError, isError, NotAllowedError } from '@backstage/errors';
import {
  AuthProviderFactory,
  AuthProviderRouteHandlers,
  AuthResolverContext,
  createOAuthProviderFactory,
  decodeOAuthState,
  OAuthAuthenticator,
  OAuthAuthenticatorResult,
  OAuthState,
  SignInInfo,
  SignInResolver,
  SignInResolverFactory,
} from '@backstage/plugin-auth-node';
import { BITBUCKET_USER_ID_ANNOTATION } from '@bitbucket-signin/plugin-bitbucket-cloud-common';
import { createBitbucketAuthenticator } from './authenticator';
import { BitbucketIdentity, describeUser } from './identity';
import {
  bitbucketOutcome,
  resolverOutcome,
  signInCounter,
  SignInOutcome,
  withOutcome,
} from './metrics';
import { bitbucketSignInResolvers, catalogUnavailable } from './resolvers';
import { linkPass, passOf, reusedResults, SignInPass } from './signInPass';

type BitbucketResult = OAuthAuthenticatorResult<BitbucketIdentity>;
type Handler = AuthProviderRouteHandlers['frameHandler'];

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
      logger,
    ),
    signInResolver: options.signInResolver && observed(options.signInResolver),
    signInResolverFactories: factories,
  });
  const count = options.metrics && signInCounter(options.metrics);
  return ctx => {
    const handlers = framework(ctx);
    const resolverCounts = resolverCountsOf(ctx.config);
    /** Runs a request in its own pass, and counts how it ended */
    const inPass =
      (kind: 'signIn' | 'refresh', handler: Handler): Handler =>
      async (req, res) => {
        const pass = new SignInPass(resolverCount(resolverCounts, req.query));
        linkPass(req, pass);
        try {
          await handler(req, res);
        } catch (error) {
          pass.noteFailure(bitbucketOutcome(error));
          throw error;
        } finally {
          count?.(kind, pass.outcome);
        }
      };
    // the framework's handlers are a class instance: its methods are called
    // on it, not spread
    return {
      start: (req, res) => handlers.start(req, res),
      frameHandler: inPass('signIn', async (req, res) => {
        refuseUnsafeCallback(req.query, ctx.isOriginAllowed);
        await handlers.frameHandler(req, res);
      }),
      refresh: inPass('refresh', async (req, res) => {
        try {
          await handlers.refresh!(req, res);
        } catch (error) {
          throw outageBehind(error) ?? error;
        }
      }),
      logout: (req, res) => handlers.logout!(req, res),
    };
  };
}

/** What the admin must act on; the rest is the engineer's to retry, or routine */
const LOGGED_OUTCOMES: SignInOutcome[] = [
  'bitbucket_unavailable',
  'endpoint_removed',
  'consumer_rejected',
  'error',
];

/**
 * Notes in the request's pass whether asking Bitbucket worked, and why not.
 * The framework posts a failed sign-in to the popup without logging it, so
 * failures an admin must act on are logged here, in the words the engineer
 * saw (which never carry a token, a code or the secret).
 */
function observedAuthenticator(
  authenticator: OAuthAuthenticator<unknown, BitbucketIdentity>,
  logger?: LoggerService,
): OAuthAuthenticator<unknown, BitbucketIdentity> {
  const observe =
    <I extends { req: object }, C, R extends object>(
      step: (input: I, ctx: C) => Promise<R>,
      what: string,
    ) =>
    async (input: I, ctx: C): Promise<R> => {
      const pass = passOf(input.req);
      try {
        const result = await step(input, ctx);
        pass?.noteAuthenticated();
        if (reusedResults.has(result)) {
          pass?.noteReused();
        }
        linkPass(result, pass);
        return result;
      } catch (error) {
        const outcome = bitbucketOutcome(error);
        pass?.noteFailure(outcome);
        if (LOGGED_OUTCOMES.includes(outcome)) {
          const said = isError(error) ? error.message : String(error);
          logger?.warn(`Bitbucket ${what} failed: ${said}`);
        }
        throw error;
      }
    };
  return {
    ...authenticator,
    authenticate: observe(authenticator.authenticate, 'sign-in'),
    refresh: observe(authenticator.refresh, 'session refresh'),
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
      passOf(info.result)?.noteFailure(resolverOutcome(error));
      throw error;
    }
  };
}

/**
 * The framework's chain tries the next resolver on a NotFoundError and, after
 * the last, says only that no user could be resolved. The last miss says
 * instead what the engineer can do.
 */
function reportingChain(
  resolver: SignInResolver<BitbucketResult>,
  logger?: LoggerService,
): SignInResolver<BitbucketResult> {
  return async (info, ctx) => {
    try {
      return await resolver(info, ctx);
    } catch (error) {
      const pass = passOf(info.result);
      if (!pass || !isError(error) || error.name !== 'NotFoundError') {
        // the chain stops here
        pass?.noteFailure(resolverOutcome(error));
        throw error;
      }
      pass.misses.push(error.message);
      if (pass.misses.length < pass.resolverCount) {
        throw error;
      }
      const failure = await lastMiss(info, ctx, pass.misses, logger);
      pass.noteFailure(resolverOutcome(failure));
      throw failure;
    }
  };
}

/** Not in the catalog, unless the catalog did not answer at all: a catalog that never started finds nobody either */
async function lastMiss(
  info: SignInInfo<BitbucketResult>,
  ctx: AuthResolverContext,
  misses: string[],
  logger?: LoggerService,
): Promise<Error> {
  const identity = info.result.fullProfile;
  try {
    await ctx.findCatalogUser({
      filter: {
        [`metadata.annotations.${BITBUCKET_USER_ID_ANNOTATION}`]: identity.uuid,
      },
    });
  } catch (error) {
    if (
      !isError(error) ||
      !['NotFoundError', 'ConflictError'].includes(error.name)
    ) {
      return catalogUnavailable(error);
    }
  }
  const user = describeUser(identity);
  const lookedFor = misses.join('; ');
  logger?.warn(
    `Bitbucket user ${user} ${identity.uuid} matches no User entity in the catalog: ${lookedFor}`,
  );
  // the sign-in page shows this to the engineer: what to do first, then
  // what the admin will need
  return withOutcome(
    new NotAllowedError(
      `Your Bitbucket account ${user} is not in this Backstage catalog yet; ask your Backstage admin to add you. Looked for: ${lookedFor}`,
    ),
    'not_in_catalog',
  );
}

/** How many resolvers each environment chains, read once from the config */
function resolverCountsOf(config: Config): Map<string, number> {
  return new Map(
    config
      .keys()
      .map(env => [
        env,
        config.getOptionalConfigArray(`${env}.signIn.resolvers`)?.length ?? 1,
      ]),
  );
}

/** How many resolvers the request's environment chains, the environment picked as the framework picks it */
function resolverCount(
  counts: Map<string, number>,
  query: Record<string, unknown>,
) {
  const env =
    typeof query.env === 'string' && query.env
      ? query.env
      : decodedState(query.state)?.env;
  // an unknown environment is the framework's to refuse
  return (env && counts.get(env)) || 1;
}

/** A request's state; undefined when it has none or it cannot be read (the framework refuses those) */
function decodedState(state: unknown): OAuthState | undefined {
  try {
    return typeof state === 'string' ? decodeOAuthState(state) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Refuses a callback that the framework would mishandle, before it reads it:
 *
 * - A repeated parameter is an array to Express, and the framework reads the
 *   state with `toString()`, which joins the copies: `state=<forged>&state=x`
 *   would slip a forged state past the origin check.
 * - The state is not signed, and the framework adopts the state's `origin` as
 *   the address its popup page posts to before it checks it, so a forged
 *   state had even the refusal posted to a foreign page.
 */
function refuseUnsafeCallback(
  query: Record<string, unknown>,
  isOriginAllowed: (origin: string) => boolean,
) {
  for (const name of ['state', 'code', 'error']) {
    if (query[name] !== undefined && typeof query[name] !== 'string') {
      throw withOutcome(
        new InputError(
          `The Bitbucket callback's ${name} parameter must appear once, as plain text; start the sign-in again`,
        ),
        'bad_request',
      );
    }
  }
  const origin = decodedState(query.state)?.origin;
  if (
    origin !== undefined &&
    !(URL.canParse(origin) && isOriginAllowed(new URL(origin).origin))
  ) {
    const named = origin.slice(0, 100);
    throw withOutcome(
      new NotAllowedError(
        `The sign-in callback names ${named}, which is not an origin of this Backstage app (app.baseUrl, backend.cors.origin); start the sign-in from the app`,
      ),
      'bad_request',
    );
  }
}

/**
 * The framework answers every failed refresh 401 "Refresh failed", as if the
 * session had ended. When Bitbucket is down, slow, or no longer serves an
 * endpoint this version calls, it has not: the refresh cookie stays and works
 * once Bitbucket (or the plugin) does. Such a refresh answers with the reason.
 */
function outageBehind(error: unknown): Error | undefined {
  const cause = isError(error) ? error.cause : undefined;
  return isError(cause) &&
    ['ServiceUnavailableError', 'NotImplementedError'].includes(cause.name)
    ? cause
    : undefined;
}
