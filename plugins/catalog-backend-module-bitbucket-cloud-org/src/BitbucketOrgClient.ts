import {
  AuthenticationError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  BitbucketCloudClient,
  BitbucketGetOptions,
  BitbucketPageLimits,
  BitbucketRefusal,
  BitbucketRequestOutcome,
  BitbucketTokenEndpoint,
  BitbucketUser,
  bitbucketWorkspaceMemberPermissionSchema,
  bitbucketWorkspaceMemberSchema,
  describeRefusal,
  describeScopes,
  EDIT_OAUTH_CONSUMER,
} from '@bitbucket-signin/plugin-bitbucket-cloud-common';
import { OrgCredential } from './config';

/** What bounds one list read: the run's deadline, and the run's limits left */
export interface ListRun {
  signal: AbortSignal;
  limits: BitbucketPageLimits;
}

export interface BitbucketOrgClientOptions {
  /** The provider's config key, e.g. `catalog.providers.bitbucketCloudOrg.acme`, for messages */
  configKey: string;
  credential: OrgCredential;
  tokenUrl: string;
  apiBaseUrl: string;
  onRequest?: (outcome: BitbucketRequestOutcome) => void;
}

/** How Bitbucket writes a uuid; the User's entity name is made of it */
const BITBUCKET_UUID =
  /^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$/i;

const memberSchema = bitbucketWorkspaceMemberSchema.refine(
  row => BITBUCKET_UUID.test(row.user.uuid),
  { message: 'not a Bitbucket uuid', path: ['user', 'uuid'] },
);

/** Renew a little early, so a token does not expire between check and use */
const TOKEN_RENEWAL_MARGIN_MS = 60_000;

const API_TOKEN_STEPS =
  'create an API token with scopes (Atlassian account settings > Security > API tokens > Create API token with scopes, app Bitbucket) with read:workspace:bitbucket and read:user:bitbucket, as an account that is a member of the workspace';

/** A workspace's two lists, every page, by API token or client credentials; refusals worded for the credential */
export class BitbucketOrgClient {
  readonly #options: BitbucketOrgClientOptions;
  readonly #tokenEndpoint?: BitbucketTokenEndpoint;
  #token?: { value: string; expiresAt: number };

  constructor(options: BitbucketOrgClientOptions) {
    this.#options = options;
    const { credential, configKey, tokenUrl } = options;
    if ('clientId' in credential) {
      this.#tokenEndpoint = new BitbucketTokenEndpoint({
        ...credential,
        tokenUrl,
        configKey,
        deadlineConfigKey: `${configKey}.limits.runTimeout`,
        onRequest: options.onRequest,
      });
    }
  }

  /** Users as the members list shows them, each with a Bitbucket uuid */
  async listMembers(workspace: string, run: ListRun): Promise<BitbucketUser[]> {
    const rows = await this.#listAll(workspace, 'members', memberSchema, run);
    return rows.map(row => row.user);
  }

  /** The uuids of the workspace's owners, from its permissions list */
  async listOwners(workspace: string, run: ListRun): Promise<string[]> {
    const rows = await this.#listAll(
      workspace,
      'permissions',
      bitbucketWorkspaceMemberPermissionSchema,
      run,
    );
    return rows.filter(r => r.permission === 'owner').map(r => r.user.uuid);
  }

  async #listAll<T>(
    workspace: string,
    list: 'members' | 'permissions',
    schema: BitbucketGetOptions<T>['schema'],
    { signal, limits }: ListRun,
  ): Promise<T[]> {
    const client = new BitbucketCloudClient({
      apiBaseUrl: this.#options.apiBaseUrl,
      deadlineConfigKey: `${this.#options.configKey}.limits.runTimeout`,
      onRefused: refusal => this.#refused(refusal, workspace),
      onRequest: this.#options.onRequest,
    });
    const slug = encodeURIComponent(workspace);
    const path = `/workspaces/${slug}/${list}?pagelen=100`;
    const endpoint = `/workspaces/{workspace}/${list}`;
    for (;;) {
      const { authorization, reused } = await this.#authorization(signal);
      try {
        const options = { authorization, signal, schema, limits, endpoint };
        return await client.getAllPages(path, options);
      } catch (error) {
        // a cached token revoked or expired early: one fresh token, then give up
        if (!reused || !(error instanceof AuthenticationError)) {
          throw error;
        }
        this.#token = undefined;
      }
    }
  }

  /** An API token goes as HTTP Basic; a consumer's access token is reused until it expires */
  async #authorization(signal: AbortSignal) {
    const { credential } = this.#options;
    if ('token' in credential) {
      const { email, token } = credential;
      const basic = Buffer.from(`${email}:${token}`).toString('base64');
      return { authorization: `Basic ${basic}`, reused: false };
    }
    const reused = Boolean(this.#token && this.#token.expiresAt > Date.now());
    if (!reused) {
      const tokens = await this.#tokenEndpoint!.clientCredentials(signal);
      const lifetimeMs = (tokens.expiresInSeconds ?? 0) * 1000;
      const expiresAt = Date.now() + lifetimeMs - TOKEN_RENEWAL_MARGIN_MS;
      this.#token = { value: tokens.accessToken, expiresAt };
    }
    return { authorization: `Bearer ${this.#token!.value}`, reused };
  }

  /** What the admin must change, for the credential in use; other refusals get the shared wording */
  #refused(refusal: BitbucketRefusal, workspace: string): Error | undefined {
    const key = this.#options.configKey;
    const what = describeRefusal(refusal);
    const scopes = refusal.requiredScopes ?? [];
    const byApiToken = 'token' in this.#options.credential;
    switch (refusal.status) {
      case 401:
        return new AuthenticationError(
          byApiToken
            ? `${what}. Bitbucket did not accept the Atlassian API token: check ${key}.apiToken.email (the Atlassian account's email) and ${key}.apiToken.token, which may have expired or been revoked`
            : `${what}. Bitbucket did not accept a fresh access token of the consumer of ${key}.clientId`,
        );
      case 403: {
        const named = scopes.length > 0;
        const tokenLacks = named
          ? `lacks the scope ${scopes.join(' and ')}`
          : 'may not read this list of the workspace';
        const consumerLacks = named
          ? `needs the ${describeScopes(
              scopes,
            )}: ${EDIT_OAUTH_CONSUMER}, tick it and save`
          : 'acts as an app user that may not read this list of the workspace';
        return new NotAllowedError(
          byApiToken
            ? `${what}. The API token of ${key}.apiToken ${tokenLacks}: ${API_TOKEN_STEPS}`
            : `${what}. The OAuth consumer of ${key}.clientId ${consumerLacks}`,
        );
      }
      case 404:
        return new NotFoundError(
          byApiToken
            ? `${what}. There is no workspace "${workspace}" that the account of ${key}.apiToken.email is a member of: check the workspace slug under ${key}, and that the account is a member of the workspace`
            : `${what}. The OAuth consumer of ${key}.clientId cannot reach workspace "${workspace}", or there is none: check the workspace slug under ${key}. A client-credentials token acts as an app user of the workspace that owns the consumer, and reaches no other (a consumer owned by a personal workspace reaches only that one): add the consumer in ${workspace}'s Workspace settings > OAuth consumers, or use an Atlassian API token (${key}.apiToken)`,
        );
      default:
        return undefined;
    }
  }
}
