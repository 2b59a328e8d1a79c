import { NotAllowedError, AuthenticationError } from '@backstage/errors';
import {
  bitbucketEmailSchema,
  BitbucketCloudClient,
  BitbucketRefusal,
  BitbucketRequestOutcome,
  bitbucketUserSchema,
  bitbucketWorkspacePermissionSchema,
  describeRefusal,
  describeScopes,
  EDIT_OAUTH_CONSUMER,
} from '@bitbucket-signin/plugin-bitbucket-cloud-common';
import { withDeadline } from './deadline';
import { BitbucketIdentity, toBitbucketIdentity } from './identity';

/** The scope each endpoint needs, for a 403 that does not say */
const SCOPE_OF_ENDPOINT: Record<string, string> = {
  '/2.0/user': 'account',
  '/2.0/user/emails': 'email',
};

/**
 * All REST calls of a sign-in or refresh: the user, their emails and, with an
 * allow-list, their role in each allowed workspace. They are requested at the
 * same time, so a sign-in waits for one round trip to Bitbucket.
 */
export class BitbucketClient {
  readonly #api: BitbucketCloudClient;
  readonly #allowedWorkspaces?: string[];

  constructor(options: {
    apiBaseUrl: string;
    allowedWorkspaces?: string[];
    onRequest?: (outcome: BitbucketRequestOutcome) => void;
  }) {
    this.#api = new BitbucketCloudClient({
      apiBaseUrl: options.apiBaseUrl,
      deadlineConfigKey: 'auth.providers.bitbucket.<environment>.timeout',
      onRefused: wordRefusal,
      onRequest: options.onRequest,
    });
    this.#allowedWorkspaces = options.allowedWorkspaces;
  }

  /** One deadline for the calls; the first failure stops the others */
  async fetchIdentity(
    accessToken: string,
    timeoutMs: number,
  ): Promise<BitbucketIdentity> {
    return withDeadline(timeoutMs, step =>
      this.#fetchIdentity(accessToken, step),
    );
  }

  async #fetchIdentity(
    accessToken: string,
    step: AbortController,
  ): Promise<BitbucketIdentity> {
    const { signal } = step;
    const request = { authorization: `Bearer ${accessToken}`, signal };
    try {
      const [user, emails, workspaces] = await Promise.all([
        this.#api.get('/user', { ...request, schema: bitbucketUserSchema }),
        this.#api.getAllPages('/user/emails?pagelen=100', {
          ...request,
          schema: bitbucketEmailSchema,
          endpoint: '/user/emails',
          // enough for any real account
          limits: { maxPages: 20 },
        }),
        this.#allowedWorkspaces &&
          Promise.all(
            this.#allowedWorkspaces.map(slug =>
              this.#api.getIfFound(
                `/user/workspaces/${encodeURIComponent(slug)}/permission`,
                {
                  ...request,
                  schema: bitbucketWorkspacePermissionSchema,
                  endpoint: '/user/workspaces/{workspace}/permission',
                },
              ),
            ),
          ),
      ]);
      return toBitbucketIdentity(user, emails, workspaces);
    } catch (error) {
      step.abort();
      throw error;
    }
  }
}

/** A 401 on the user means the token; a 403 almost always a consumer permission */
function wordRefusal(refusal: BitbucketRefusal): Error | undefined {
  const what = describeRefusal(refusal);
  if (refusal.status === 401) {
    return new AuthenticationError(
      `${what}. The access token was not accepted; sign in again`,
    );
  }
  if (refusal.status !== 403) {
    return undefined;
  }
  const endpoint = refusal.request.slice('GET '.length);
  const needed = describeScopes(
    refusal.requiredScopes ?? [SCOPE_OF_ENDPOINT[endpoint] ?? 'account'],
  );
  return new NotAllowedError(
    `${what}. The OAuth consumer needs the ${needed}: ${EDIT_OAUTH_CONSUMER}, tick it, save, then sign in again`,
  );
}
