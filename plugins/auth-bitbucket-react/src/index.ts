/**
 * Bitbucket Cloud sign-in for Backstage apps: the auth API, its factory and
 * the SignInPage provider. For the new frontend system see the `/alpha`
 * entry point.
 *
 * @packageDocumentation
 */

export {
  bitbucketAuthApiRef,
  bitbucketAuthApiFactory,
  bitbucketAuthProvider,
} from './apis';
export { bitbucketSignInProvider } from './signInProvider';
export { BitbucketIcon } from './BitbucketIcon';
