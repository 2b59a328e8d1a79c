/**
 * Bitbucket Cloud workspace members as Users and Groups in the Backstage
 * catalog: a backend module for the catalog plugin.
 *
 * @packageDocumentation
 */
export { catalogModuleBitbucketCloudOrg as default } from './module';
export { BitbucketCloudOrgEntityProvider } from './provider';
export { BITBUCKET_USER_ID_ANNOTATION } from '@bitbucket-signin/plugin-bitbucket-cloud-common';
