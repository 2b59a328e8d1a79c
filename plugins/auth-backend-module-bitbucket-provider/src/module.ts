import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  authProvidersExtensionPoint,
  createOAuthRouteHandlers,
  OAuthEnvironmentHandler,
} from '@backstage/plugin-auth-node';
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
        });
      },
    });
  },
});
