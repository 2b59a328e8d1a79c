import type { SignInProviderConfig } from '@backstage/core-components';
import { bitbucketAuthApiRef } from './apis';

/**
 * The Bitbucket entry for the `providers` (or `provider`) prop of the
 * `SignInPage` from `@backstage/core-components`.
 *
 * @example
 * ```tsx
 * <SignInPage {...props} providers={['guest', bitbucketSignInProvider]} />
 * ```
 *
 * @public
 */
export const bitbucketSignInProvider: SignInProviderConfig = {
  id: 'bitbucket-auth-provider',
  title: 'Bitbucket',
  message: 'Sign in using Bitbucket',
  apiRef: bitbucketAuthApiRef,
};
