/**
 * Bitbucket Cloud sign-in for apps built with Backstage's new frontend system.
 *
 * @packageDocumentation
 */
import { SignInPage } from '@backstage/core-components';
import type { SignInPageProps } from '@backstage/core-plugin-api';
import {
  ApiBlueprint,
  createFrontendModule,
} from '@backstage/frontend-plugin-api';
import { SignInPageBlueprint } from '@backstage/plugin-app-react';
import { bitbucketAuthApiFactory } from './apis';
import { bitbucketSignInProvider } from './signInProvider';

/**
 * The `SignInPage` of `@backstage/core-components` offering Bitbucket.
 *
 * @alpha
 */
export function BitbucketSignInPage(props: SignInPageProps) {
  return <SignInPage {...props} providers={[bitbucketSignInProvider]} />;
}

/**
 * API extension providing `bitbucketAuthApiRef` with this package's factory.
 *
 * Installed in the `app` plugin (see {@link bitbucketAuthModule}) its id is
 * `api:app/bitbucket-auth`, the id of the app's stock Bitbucket API, which it
 * replaces.
 *
 * @alpha
 */
export const bitbucketAuthApi = ApiBlueprint.make({
  name: 'bitbucket-auth',
  params: defineParams => defineParams(bitbucketAuthApiFactory),
});

/**
 * Sign-in page extension (`sign-in-page:app`) that offers Bitbucket.
 *
 * @alpha
 */
export const bitbucketSignInPage = SignInPageBlueprint.make({
  params: {
    loader: async () => BitbucketSignInPage,
  },
});

/**
 * Frontend module for the `app` plugin that only replaces the Bitbucket auth
 * API, for apps that build their own sign-in page with
 * `bitbucketSignInProvider`.
 *
 * @alpha
 */
export const bitbucketAuthModule = createFrontendModule({
  pluginId: 'app',
  extensions: [bitbucketAuthApi],
});

/**
 * Frontend module for the `app` plugin with the Bitbucket auth API and a
 * sign-in page that offers Bitbucket.
 *
 * @alpha
 */
export const bitbucketSignInPageModule = createFrontendModule({
  pluginId: 'app',
  extensions: [bitbucketAuthApi, bitbucketSignInPage],
});
