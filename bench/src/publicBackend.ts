// Bench backend with the public @backstage Bitbucket module. Identical to
// ourBackend.ts but for the import below; see backendMain.ts.
import { startBenchBackend } from './backendMain';

startBenchBackend(
  import('@backstage/plugin-auth-backend-module-bitbucket-provider'),
);
