// first: the meter provider must exist before plugins take their meters
import './instrumentation';
import { createBackend } from '@backstage/backend-defaults';
import { rootHttpRouterWithoutCallbackQueries } from './requestLog';

const backend = createBackend();

// no authorization code or state in the request log
backend.add(rootHttpRouterWithoutCallbackQueries);

backend.add(import('@backstage/plugin-app-backend'));
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(
  import('@bitbucket-signin/plugin-auth-backend-module-bitbucket-provider'),
);

backend.add(import('@backstage/plugin-catalog-backend'));
// Bitbucket workspace members as Users and Groups (catalog.providers.bitbucketCloudOrg)
backend.add(
  import('@bitbucket-signin/plugin-catalog-backend-module-bitbucket-cloud-org'),
);

backend.add(import('@backstage/plugin-permission-backend'));
backend.add(
  import('@backstage/plugin-permission-backend-module-allow-all-policy'),
);

// A replica whose start-up failed must exit, so its orchestrator restarts it
backend.start().catch(() => process.exit(1));
