import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(
  import('@bitbucket-signin/plugin-auth-backend-module-bitbucket-provider'),
);

backend.add(import('@backstage/plugin-catalog-backend'));

backend.add(import('@backstage/plugin-permission-backend'));
backend.add(
  import('@backstage/plugin-permission-backend-module-allow-all-policy'),
);

// A replica whose start-up failed must exit, so its orchestrator restarts it
backend.start().catch(() => process.exit(1));
