import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  authProvidersExtensionPoint,
  AuthProviderRouteHandlers,
  createOAuthRouteHandlers,
  OAuthEnvironmentHandler,
} from '@backstage/plugin-auth-node';
import { NotAllowedError } from '@backstage/errors';
import { createBitbucketAuthenticator } from './authenticator';
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
            refuseForeignReturnAddresses(
              ctx.isOriginAllowed,
              OAuthEnvironmentHandler.mapConfig(ctx.config, envConfig =>
                createOAuthRouteHandlers({
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
                  }),
                }),
              ),
            ),
        });
      },
    });
  },
});

/**
 * The auth framework checks `origin` only when Bitbucket calls back, and
 * never checks `redirectUrl`, so a crafted start link could bounce a signed-in
 * user to any site. Both must be an origin the app is served from.
 */
function refuseForeignReturnAddresses(
  isOriginAllowed: (origin: string) => boolean,
  handlers: AuthProviderRouteHandlers,
): AuthProviderRouteHandlers {
  return {
    start(req, res) {
      for (const name of ['origin', 'redirectUrl']) {
        const value = req.query[name]?.toString();
        if (value && !isAllowedUrl(value, isOriginAllowed)) {
          throw new NotAllowedError(
            `The sign-in ${name} ${value} is not an origin of this Backstage app (app.baseUrl, backend.cors.origin)`,
          );
        }
      }
      return handlers.start(req, res);
    },
    frameHandler: (req, res) => handlers.frameHandler(req, res),
    refresh: handlers.refresh && ((req, res) => handlers.refresh!(req, res)),
    logout: handlers.logout && ((req, res) => handlers.logout!(req, res)),
  };
}

function isAllowedUrl(
  value: string,
  isOriginAllowed: (origin: string) => boolean,
): boolean {
  try {
    return isOriginAllowed(new URL(value).origin);
  } catch {
    return false;
  }
}
