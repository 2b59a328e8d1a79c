import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { bitbucketMetricsServiceRef } from '@bitbucket-signin/plugin-bitbucket-cloud-common';
import { BitbucketCloudOrgEntityProvider } from './provider';

/**
 * Bitbucket Cloud workspace members as Users and Groups in the catalog, one
 * provider per key under `catalog.providers.bitbucketCloudOrg`.
 *
 * @public
 */
export const catalogModuleBitbucketCloudOrg = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'bitbucket-cloud-org',
  register(reg) {
    reg.registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
        metrics: bitbucketMetricsServiceRef,
      },
      async init({ catalog, config, logger, scheduler, metrics }) {
        catalog.addEntityProvider(
          BitbucketCloudOrgEntityProvider.fromConfig(config, {
            logger,
            scheduler,
            metrics,
          }),
        );
      },
    });
  },
});
