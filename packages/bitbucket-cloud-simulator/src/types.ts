/**
 * A user's role in a workspace, as `GET /2.0/workspaces/{workspace}/permissions`
 * reports it. Bitbucket Cloud removed the collaborator role in 2026.
 *
 * @public
 */
export type WorkspacePermission = 'owner' | 'member';

/**
 * A Bitbucket Cloud account known to the simulator.
 *
 * @public
 */
export interface SimulatorUser {
  /** With curly braces, e.g. `{5c1f3b2e-...}` */
  uuid: string;
  /** e.g. `557058:...` */
  accountId: string;
  /** e.g. `alice-bb` */
  username: string;
  /** Chosen by its owner: not unique, can change */
  nickname: string;
  /** e.g. `Alice Anderson` */
  displayName: string;
  /** Default: `${simulatorUrl}/avatars/<username>.svg`, served by the simulator */
  avatarUrl?: string;
  /** As `GET /2.0/user/emails` lists them, unconfirmed ones included */
  emails: Array<{ email: string; isPrimary: boolean; isConfirmed: boolean }>;
  /** The workspaces the user is in; the simulator knows a workspace only through its members */
  workspaces: Array<{
    slug: string;
    name: string;
    uuid: string;
    permission: WorkspacePermission;
  }>;
  /**
   * Atlassian API tokens: HTTP Basic with the account's email (its primary
   * email if confirmed, else its first confirmed one) and a token acts as
   * the user on the REST API, with the token's scopes, e.g.
   * `read:user:bitbucket`, `read:workspace:bitbucket`
   */
  apiTokens?: Array<{ token: string; scopes: string[] }>;
}

/**
 * An OAuth consumer (Workspace settings → OAuth consumers).
 *
 * @public
 */
export interface SimulatorConsumer {
  /** The consumer's Key, i.e. the OAuth client id */
  key: string;
  /** The consumer's Secret */
  secret: string;
  /** A `redirect_uri` in requests must start with it */
  callbackUrl: string;
  /** The consumer's ticked permissions, e.g. `['account', 'email']`; they decide the token's scopes */
  scopes: string[];
  /**
   * "This is a private consumer" is ticked: only then does the token endpoint
   * grant `client_credentials`. Default false.
   */
  isPrivate?: boolean;
  /**
   * Slug of the workspace that owns the consumer. A client-credentials token
   * acts as the consumer's app user, which reaches this workspace only.
   * Required for that grant.
   */
  workspace?: string;
}

/**
 * Options for {@link startBitbucketSimulator}.
 *
 * @public
 */
export interface SimulatorOptions {
  /** 0 (default) picks a random free port */
  port?: number;
  /** Default `127.0.0.1` */
  host?: string;
  /** Default {@link demoUsers} */
  users?: SimulatorUser[];
  /** Default `[demoConsumer]` */
  consumers?: SimulatorConsumer[];
  /** Default 7200 */
  accessTokenTtlSeconds?: number;
  /** Default 300 */
  authorizationCodeTtlSeconds?: number;
  /** Default 0; added to every /site/oauth2/access_token and /2.0/* response */
  latencyMs?: number;
}

/**
 * A failure to inject on one path (URL pathname without query, e.g.
 * `/2.0/user/emails` or `/site/oauth2/access_token`).
 *
 * - `status`: replies with that status and a Bitbucket error body (429 adds `Retry-After`)
 * - `malformed`: replies 200 with a truncated JSON body
 * - `hang`: never answers (`stop()` still closes the connection)
 * - `reset`: destroys the socket (the client sees ECONNRESET / "socket hang up")
 *
 * `times` is how many requests it affects before it clears itself (default:
 * until `clearFaults()`). `after` is how many requests to the path it lets
 * through first (default 0), e.g. 1 to fail the second page of a list.
 *
 * @public
 */
export type Fault =
  | {
      path: string;
      kind: 'status';
      status: number;
      retryAfterSeconds?: number;
      times?: number;
      after?: number;
    }
  | {
      path: string;
      kind: 'malformed' | 'hang' | 'reset';
      times?: number;
      after?: number;
    };

/**
 * A running simulator.
 *
 * @public
 */
export interface BitbucketSimulator {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `${url}/site/oauth2/authorize` */
  authorizationUrl: string;
  /** `${url}/site/oauth2/access_token` */
  tokenUrl: string;
  /** `${url}/2.0` */
  apiBaseUrl: string;
  /**
   * Requests received per pathname (no query), including failed and faulted
   * ones; excludes /_simulator/*. The consent page GET and POST are both
   * counted under `/site/oauth2/authorize`.
   */
  requestCounts(): Record<string, number>;
  /** Clears {@link BitbucketSimulator.requestCounts} */
  resetRequestCounts(): void;
  /** Query parameters of every GET /site/oauth2/authorize received, in order (the latest 1000) */
  authorizeRequests(): Array<Record<string, string>>;
  /** Delays every token endpoint and /2.0/* response by `ms` from now on */
  setLatency(ms: number): void;
  /** Injects a failure, see {@link Fault} */
  addFault(fault: Fault): void;
  /** Removes every fault added so far */
  clearFaults(): void;
  /** Every issued access token now answers 401 "Access token expired." */
  expireAccessTokens(): void;
  /** The refresh grant then answers 400 invalid_grant "unknown or revoked" for these tokens (all users when omitted) */
  revokeRefreshTokens(username?: string): void;
  /**
   * The refresh tokens issued so far (of one user, or all) then answer 400
   * invalid_grant "expired", as when unused for 3 months
   */
  expireRefreshTokens(username?: string): void;
  /** Changes a user for later requests, e.g. removes a workspace or an email */
  updateUser(
    username: string,
    change: Partial<Omit<SimulatorUser, 'username'>>,
  ): void;
  /**
   * Completes the consent step the way a browser would, without HTML: returns
   * the Location the simulator redirects to (callback URL with code and state,
   * or with error=access_denied).
   */
  approve(authorizeUrl: string, username: string): Promise<string>;
  /** Refuses the consent step: returns the callback URL with error=access_denied */
  deny(authorizeUrl: string): Promise<string>;
  /** Closes the server and all open sockets (keep-alive and hung ones included) */
  stop(): Promise<void>;
}
