/**
 * The Bitbucket Cloud client shared by the Bitbucket sign-in module and the
 * workspace org provider.
 *
 * @packageDocumentation
 */
export * from './annotations';
export * from './entityNames';
export {
  bitbucketEmailSchema,
  bitbucketUserSchema,
  bitbucketWorkspaceMemberPermissionSchema,
  bitbucketWorkspaceMemberSchema,
  bitbucketWorkspacePermissionSchema,
} from './answers';
export type {
  BitbucketEmail,
  BitbucketUser,
  BitbucketWorkspace,
  BitbucketWorkspaceMember,
  BitbucketWorkspaceMemberPermission,
  BitbucketWorkspacePermission,
} from './answers';
export {
  BitbucketCloudClient,
  BitbucketLimitReachedError,
} from './BitbucketCloudClient';
export type {
  BitbucketCloudClientOptions,
  BitbucketGetOptions,
  BitbucketPageLimits,
  BitbucketRequestOutcome,
} from './BitbucketCloudClient';
export { BitbucketTokenEndpoint } from './BitbucketTokenEndpoint';
export type {
  BitbucketGrantType,
  BitbucketTokenEndpointOptions,
  BitbucketTokens,
} from './BitbucketTokenEndpoint';
export {
  bitbucketUnavailable,
  describeRefusal,
  EDIT_OAUTH_CONSUMER,
  describeScopes,
} from './errors';
export type { BitbucketRefusal, BitbucketRefusalWording } from './errors';
export { BITBUCKET_CLOUD_URLS, readBitbucketUrl } from './urls';
export { assertWorkspaceSlug } from './workspaceSlug';
export { bitbucketMetricsServiceRef, recordBitbucketRequests } from './metrics';
