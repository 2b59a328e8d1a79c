import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  authProvidersExtensionPoint,
  AuthProviderRouteHandlers,
  createOAuthRouteHandlers,
  decodeOAuthState,
  OAuthEnvironmentHandler,
} from '@backstage/plugin-auth-node';
import { isError, NotAllowedError } from '@backstage/errors';
import { createBitbucketAuthenticator } from './authenticator';
import { readBitbucketProviderConfig } from './config';
import { readBitbucketSignInResolver } from './signInResolver';

/**
 * Bitbucket Cloud sign-in for the auth plugin, under provider id `bitbucket`.
 *
 * @public
 */
export const authModuleBitbucketProvider = createBackendModule({
  pluginId: 'auth',
  moduleId: 'bitbucket-provider',
  register(reg) {
    reg.registerInit({
      deps: {
        providers: authProvidersExtensionPoint,
        logger: coreServices.logger,
      },
      async init({ providers, logger }) {
        const authenticator = createBitbucketAuthenticator({ logger });
        providers.registerProvider({
          providerId: 'bitbucket',
          // What createOAuthProviderFactory does, but with a resolver chain
          // that reports what each resolver looked for.
          factory: ctx =>
            OAuthEnvironmentHandler.mapConfig(ctx.config, envConfig => {
              const { workspaces, workspaceOwnership } =
                readBitbucketProviderConfig(envConfig);
              const handlers = createOAuthRouteHandlers({
                authenticator,
                appUrl: ctx.appUrl,
                baseUrl: ctx.baseUrl,
                config: envConfig,
                isOriginAllowed: ctx.isOriginAllowed,
                cookieConfigurer: ctx.cookieConfigurer,
                providerId: ctx.providerId,
                resolverContext: ctx.resolverContext,
                signInResolver: readBitbucketSignInResolver({
                  config: envConfig,
                  logger,
                  workspaceOwnership: workspaceOwnership
                    ? { allowedWorkspaces: workspaces }
                    : undefined,
                }),
              });
              return {
                ...handlers,
                frameHandler: refuseForeignStateOrigin(
                  ctx.isOriginAllowed,
                  handlers.frameHandler,
                ),
                refresh: answerOutagesAsOutages(handlers.refresh),
              };
            }),
        });
      },
    });
  },
});

/**
 * The callback's state is not signed, and the framework adopts the state's
 * `origin` as the address its popup page posts to before it checks it, so a
 * forged state had even the refusal posted to a foreign page. Such a callback
 * is refused here, before the framework reads it. (The framework itself checks
 * `origin` and `redirectUrl` at start, and `redirectUrl` on the callback.)
 */
function refuseForeignStateOrigin(
  isOriginAllowed: (origin: string) => boolean,
  frameHandler: AuthProviderRouteHandlers['frameHandler'],
): AuthProviderRouteHandlers['frameHandler'] {
  return async (req, res) => {
    const origin = stateOrigin(req.query.state);
    if (origin !== undefined && !isAllowedUrl(origin, isOriginAllowed)) {
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

/**
 * The framework answers every failed refresh 401 "Refresh failed", as if the
 * session had ended. When Bitbucket is down or slow it has not: the refresh
 * cookie stays and works again once Bitbucket does. Such a refresh answers
 * 503 with the reason instead.
 */
function answerOutagesAsOutages(
  refresh: AuthProviderRouteHandlers['refresh'],
): AuthProviderRouteHandlers['refresh'] {
  return async (req, res) => {
    try {
      await refresh!(req, res);
    } catch (error) {
      const cause = isError(error) ? error.cause : undefined;
      if (isError(cause) && cause.name === 'ServiceUnavailableError') {
        throw cause;
      }
      throw error;
    }
  };
}

/**
 * The origin a callback's state names; undefined when the state names none or
 * cannot be read (the framework refuses those itself)
 */
function stateOrigin(state: unknown): string | undefined {
  try {
    return typeof state === 'string'
      ? decodeOAuthState(state).origin
      : undefined;
  } catch {
    return undefined;
  }
}

function isAllowedUrl(
  value: string,
  isOriginAllowed: (origin: string) => boolean,
): boolean {
  return URL.canParse(value) && isOriginAllowed(new URL(value).origin);
}
