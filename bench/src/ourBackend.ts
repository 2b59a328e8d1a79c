// Bench backend with this repository's Bitbucket module. Identical to
// publicBackend.ts but for the import below; see backendMain.ts.
import { startBenchBackend } from './backendMain';

startBenchBackend(
  import('@bitbucket-signin/plugin-auth-backend-module-bitbucket-provider'),
);
