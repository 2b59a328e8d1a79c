/**
 * Bitbucket Cloud sign-in for Backstage: a backend module for the auth plugin.
 *
 * @packageDocumentation
 */
export { authModuleBitbucketProvider as default } from './module';
export { createBitbucketAuthenticator } from './authenticator';
export type { BitbucketAuthenticatorOptions } from './authenticator';
export { createBitbucketProviderFactory } from './providerFactory';
export type { BitbucketProviderFactoryOptions } from './providerFactory';
export { bitbucketSignInResolvers } from './resolvers';
export {
  BITBUCKET_USER_ID_ANNOTATION,
  BITBUCKET_USERNAME_ANNOTATION,
} from '@bitbucket-signin/plugin-bitbucket-cloud-common';
export type { BitbucketSignInInfo } from './resolvers';
export type {
  BitbucketIdentity,
  BitbucketWorkspaceMembership,
} from './identity';
export { getBitbucketWorkspaces } from './workspaces';
