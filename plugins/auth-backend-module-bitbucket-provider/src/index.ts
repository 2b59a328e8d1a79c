/**
 * Bitbucket Cloud sign-in for Backstage: a backend module for the auth plugin.
 *
 * @packageDocumentation
 */
export { authModuleBitbucketProvider as default } from './module';
export { createBitbucketAuthenticator } from './authenticator';
export {
  bitbucketSignInResolvers,
  BITBUCKET_USER_ID_ANNOTATION,
  BITBUCKET_USERNAME_ANNOTATION,
} from './resolvers';
export type { BitbucketSignInInfo } from './resolvers';
export type { BitbucketIdentity, BitbucketWorkspaceMembership } from './types';
export { getBitbucketWorkspaces } from './workspaces';
