import { HumanDuration } from '@backstage/types';

export interface Config {
  auth?: {
    providers?: {
      /** Bitbucket Cloud sign-in, from @bitbucket-signin/plugin-auth-backend-module-bitbucket-provider */
      bitbucket?: {
        [authEnv: string]: {
          /** The OAuth consumer's Key (Workspace settings > OAuth consumers) */
          clientId: string;
          /**
           * The OAuth consumer's Secret
           * @visibility secret
           */
          clientSecret: string;
          /** Defaults to `<backend base URL>/api/auth/bitbucket/handler/frame`; must start with the consumer's callback URL */
          callbackUrl?: string;
          /** Scopes recorded in addition to `account` and `email`; Bitbucket grants what the consumer's permissions allow */
          additionalScopes?: string | string[];
          /** How long a Backstage session lasts before the user signs in again */
          sessionDuration?: HumanDuration | string;
          /** Deadline for each call to Bitbucket Cloud: milliseconds, or a duration such as '10s'. Default 10 seconds */
          timeout?: number | HumanDuration | string;
          /**
           * How long the tokens of a session refresh are handed to other tabs (and replicas) that
           * refresh with the same refresh token, which Bitbucket rotates on every use, and to a
           * refresh tried again after Bitbucket failed once it had rotated the token: milliseconds,
           * or a duration such as '30s'. 0 turns it off. Default 30 seconds. With several replicas,
           * configure backend.cache with a store they share
           */
          refreshReuseWindow?: number | HumanDuration | string;
          /**
           * Slugs of the Bitbucket workspaces whose members may sign in; everyone else is refused,
           * at sign-in and at every session refresh. Needs no consumer permission beyond "Account: Read"
           */
          workspaces?: string[];
          /** For tests and the local simulator only. Default https://bitbucket.org/site/oauth2/authorize */
          authorizationUrl?: string;
          /** For tests and the local simulator only. Default https://bitbucket.org/site/oauth2/access_token */
          tokenUrl?: string;
          /** For tests and the local simulator only. Default https://api.bitbucket.org/2.0 */
          apiBaseUrl?: string;
          signIn?: {
            /** Tried in order; a resolver that finds no User passes to the next */
            resolvers: Array<
              | {
                  resolver: 'emailMatchingUserEntityProfileEmail';
                  allowedDomains?: string[];
                  dangerouslyAllowSignInWithoutUserInCatalog?: boolean;
                }
              | {
                  resolver: 'emailLocalPartMatchingUserEntityName';
                  allowedDomains?: string[];
                  dangerouslyAllowSignInWithoutUserInCatalog?: boolean;
                }
              | {
                  resolver: 'userIdMatchingUserEntityAnnotation';
                  dangerouslyAllowSignInWithoutUserInCatalog?: boolean;
                }
              | {
                  resolver: 'usernameMatchingUserEntityAnnotation';
                  dangerouslyAllowSignInWithoutUserInCatalog?: boolean;
                }
            >;
          };
        };
      };
    };
  };
}
