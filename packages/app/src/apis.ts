import { AnyApiFactory } from '@backstage/core-plugin-api';
import { bitbucketAuthApiFactory } from '@bitbucket-signin/plugin-auth-bitbucket-react';

/**
 * The app's APIs on top of the defaults of `@backstage/app-defaults`. The
 * Bitbucket factory replaces the stock one (same `bitbucketAuthApiRef`).
 */
export const apis: AnyApiFactory[] = [bitbucketAuthApiFactory];
