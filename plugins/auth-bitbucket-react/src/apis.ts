import { OAuth2 } from '@backstage/core-app-api';
import {
  ApiFactory,
  AuthProviderInfo,
  ConfigApi,
  DiscoveryApi,
  IconComponent,
  OAuthRequestApi,
  bitbucketAuthApiRef,
  configApiRef,
  createApiFactory,
  discoveryApiRef,
  oauthRequestApiRef,
} from '@backstage/core-plugin-api';
import { BitbucketIcon } from './BitbucketIcon';

/**
 * The API that the SignInPage and plugins use to reach the Bitbucket Cloud
 * session (`OAuthApi & ProfileInfoApi & BackstageIdentityApi & SessionApi`).
 *
 * It is the very ref `@backstage/core-plugin-api` exports (id
 * `core.auth.bitbucket`), so an app that already lists Bitbucket on its
 * SignInPage keeps working and, once it registers
 * {@link bitbucketAuthApiFactory}, gets this package's implementation.
 *
 * @public
 */
export { bitbucketAuthApiRef };

/** `account` for the profile, `email` for the addresses the resolvers match */
const defaultScopes = ['account', 'email'];

/**
 * The auth provider as the app shows it: backend provider id `bitbucket`,
 * title and icon.
 *
 * @public
 */
export const bitbucketAuthProvider: AuthProviderInfo = {
  id: 'bitbucket',
  title: 'Bitbucket',
  icon: BitbucketIcon as IconComponent,
};

/**
 * The API factory for `bitbucketAuthApiRef`: the OAuth 2.0 popup flow of
 * `@backstage/core-app-api` against the backend auth provider `bitbucket`
 * (`/api/auth/bitbucket/...`), in the environment set by `auth.environment`
 * (`development` when unset), with the scopes `account email`.
 *
 * @public
 */
export const bitbucketAuthApiFactory: ApiFactory<
  typeof bitbucketAuthApiRef.T,
  OAuth2,
  {
    discoveryApi: DiscoveryApi;
    oauthRequestApi: OAuthRequestApi;
    configApi: ConfigApi;
  }
> = createApiFactory({
  api: bitbucketAuthApiRef,
  deps: {
    discoveryApi: discoveryApiRef,
    oauthRequestApi: oauthRequestApiRef,
    configApi: configApiRef,
  },
  factory: ({ discoveryApi, oauthRequestApi, configApi }) =>
    OAuth2.create({
      configApi,
      discoveryApi,
      oauthRequestApi,
      provider: bitbucketAuthProvider,
      environment: configApi.getOptionalString('auth.environment'),
      defaultScopes,
    }),
});
