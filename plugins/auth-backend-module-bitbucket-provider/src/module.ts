import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { authProvidersExtensionPoint } from '@backstage/plugin-auth-node';
import {
  bitbucketMetricsServiceRef,
  recordBitbucketRequests,
} from '@bitbucket-signin/plugin-bitbucket-cloud-common';
import { createBitbucketAuthenticator } from './authenticator';
import { validateBitbucketProvidersConfig } from './config';
import { createBitbucketProviderFactory } from './providerFactory';

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
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        cache: coreServices.cache,
        metrics: bitbucketMetricsServiceRef,
      },
      async init({ providers, config, logger, cache, metrics }) {
        // the auth plugin only warns about a provider config it cannot use
        validateBitbucketProvidersConfig(config, logger);
        providers.registerProvider({
          providerId: 'bitbucket',
          factory: createBitbucketProviderFactory({
            authenticator: createBitbucketAuthenticator({
              logger,
              cache,
              onRequest: recordBitbucketRequests(metrics),
            }),
            logger,
            metrics,
          }),
        });
      },
    });
  },
});
