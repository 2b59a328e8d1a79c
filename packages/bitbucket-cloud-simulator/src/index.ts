/**
 * A local stand-in for Bitbucket Cloud's OAuth 2.0 endpoints and the
 * api.bitbucket.org/2.0 endpoints a sign-in and the org provider need.
 *
 * @packageDocumentation
 */

export { startBitbucketSimulator } from './server';
export { demoApiToken, demoConsumer, demoUsers } from './demoData';
export { generateWorkspace } from './generateWorkspace';
export type { GenerateWorkspaceOptions } from './generateWorkspace';
export { runSimulatorCli } from './cli';
export type { SimulatorCliOptions } from './cli';
export type {
  BitbucketSimulator,
  Fault,
  SimulatorConsumer,
  SimulatorOptions,
  SimulatorUser,
  WorkspacePermission,
} from './types';
