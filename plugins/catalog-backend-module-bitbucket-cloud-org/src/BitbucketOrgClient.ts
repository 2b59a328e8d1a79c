import {
  AuthenticationError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  ApiTokenCredential,
  CONFIG_ROOT,
  OAuthConsumerCredential,
} from './config';

/** A workspace member as `GET /2.0/workspaces/{workspace}/members` lists it */
export interface WorkspaceMember {
  /** With braces, as Bitbucket sends it */
  uuid: string;
  nickname?: string;
  displayName?: string;
  avatarUrl?: string;
}

/** One entry of `GET /2.0/workspaces/{workspace}/permissions` */
export interface WorkspaceMemberPermission {
  uuid: string;
  /** `owner`, `collaborator` or `member` */
  permission: string;
}

export interface BitbucketOrgClientOptions {
  /** The provider id, to name config keys in messages */
  providerId: string;
  credential: OAuthConsumerCredential | ApiTokenCredential;
  tokenUrl: string;
  apiBaseUrl: string;
  /** Deadline for each request, body included. Default 10 s */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** A page of 100 members is about 60 KiB */
const MAX_PAGE_BYTES = 1024 * 1024;
/** A token answer is well under 4 KiB */
const MAX_TOKEN_BYTES = 64 * 1024;
/** 100,000 members at 100 a page; a longer chain of `next` links is a loop */
const MAX_PAGES = 1000;
const PAGELEN = 100;
/** Renew a little early, so a token does not expire between check and use */
const TOKEN_RENEWAL_MARGIN_MS = 60_000;

/** Consumer permission names for the OAuth scopes Bitbucket reports missing */
const PERMISSION_OF_SCOPE: Record<string, string> = {
  account: '"Account: Read"',
  team: '"Workspace membership: Read"',
  email: '"Account: Email"',
};

const API_TOKEN_STEPS =
  'create an API token with scopes (Atlassian account settings > Security > API tokens > Create API token with scopes, app Bitbucket) with read:workspace:bitbucket and read:user:bitbucket, as an account that is a member of the workspace';

const EDIT_CONSUMER =
  'in Bitbucket open Workspace settings > OAuth consumers > your consumer > Edit';

interface CachedToken {
  value: string;
  expiresAt: number;
}

/** What Bitbucket answered, read whole (up to the cap) */
interface Answer {
  status: number;
  body: unknown;
}

class AnswerTooLarge extends Error {}

/**
 * Everything this module asks Bitbucket Cloud: a client-credentials token,
 * and the two workspace lists, every page. Every request has a deadline and a
 * size cap; every failure is worded for the admin, with no secret or token in
 * it.
 */
export class BitbucketOrgClient {
  readonly #options: Required<BitbucketOrgClientOptions>;
  readonly #apiBase: URL;
  #token?: CachedToken;

  constructor(options: BitbucketOrgClientOptions) {
    this.#options = { timeoutMs: DEFAULT_TIMEOUT_MS, ...options };
    this.#apiBase = new URL(`${options.apiBaseUrl.replace(/\/+$/, '')}/`);
  }

  listMembers(
    workspace: string,
    signal?: AbortSignal,
  ): Promise<WorkspaceMember[]> {
    return this.#listAll(workspace, 'members', signal, value => {
      const user = field(value, 'user');
      const uuid = field(user, 'uuid');
      // an entry without a uuid identifies nobody
      if (typeof uuid !== 'string') {
        return undefined;
      }
      return {
        uuid,
        nickname: stringOrUndefined(field(user, 'nickname')),
        displayName: stringOrUndefined(field(user, 'display_name')),
        avatarUrl: stringOrUndefined(
          field(field(field(user, 'links'), 'avatar'), 'href'),
        ),
      };
    });
  }

  listPermissions(
    workspace: string,
    signal?: AbortSignal,
  ): Promise<WorkspaceMemberPermission[]> {
    return this.#listAll(workspace, 'permissions', signal, value => {
      const uuid = field(field(value, 'user'), 'uuid');
      const permission = field(value, 'permission');
      if (typeof uuid !== 'string' || typeof permission !== 'string') {
        return undefined;
      }
      return { uuid, permission };
    });
  }

  async #listAll<T>(
    workspace: string,
    list: 'members' | 'permissions',
    signal: AbortSignal | undefined,
    map: (value: unknown) => T | undefined,
  ): Promise<T[]> {
    const endpoint = `workspaces/${encodeURIComponent(workspace)}/${list}`;
    const items: T[] = [];
    let url: URL | undefined = new URL(
      `${endpoint}?pagelen=${PAGELEN}`,
      this.#apiBase,
    );
    for (let pages = 0; url; pages++) {
      if (pages === MAX_PAGES) {
        throw unavailable(
          `GET ${url.pathname}`,
          `answered more than ${MAX_PAGES} pages`,
        );
      }
      const page = await this.#getPage(url, workspace, signal);
      for (const value of field(page, 'values') as unknown[]) {
        const item = map(value);
        if (item !== undefined) {
          items.push(item);
        }
      }
      url = this.#nextPage(field(page, 'next'), url);
    }
    return items;
  }

  /** A `next` link is followed only on the API host, under the API base path */
  #nextPage(next: unknown, current: URL): URL | undefined {
    if (next === undefined || next === null) {
      return undefined;
    }
    // parsing resolves dot segments, so /2.0/../ cannot slip out
    const url =
      typeof next === 'string' && URL.canParse(next) ? new URL(next) : null;
    if (
      !url ||
      url.origin !== this.#apiBase.origin ||
      !url.pathname.startsWith(this.#apiBase.pathname)
    ) {
      throw unavailable(
        `GET ${current.pathname}`,
        `answered a next link outside ${this.#apiBase.href}`,
      );
    }
    return url;
  }

  async #getPage(
    url: URL,
    workspace: string,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const request = `GET ${url.pathname}${url.search}`;
    for (let attempt = 1; ; attempt++) {
      const { authorization, reused } = await this.#authorization(signal);
      const answer = await this.#fetch(request, url, MAX_PAGE_BYTES, signal, {
        headers: { authorization, accept: 'application/json' },
      });
      if (answer.status === 401 && reused && attempt === 1) {
        // revoked or expired early: one fresh token, then give up
        this.#token = undefined;
        continue;
      }
      if (answer.status !== 200) {
        throw this.#apiRefused(request, workspace, answer);
      }
      if (!Array.isArray(field(answer.body, 'values'))) {
        throw unavailable(request, 'answered a page without a values list');
      }
      return answer.body;
    }
  }

  /**
   * An API token goes as HTTP Basic on every request. A consumer's access
   * token is requested when needed and reused until it expires; a provider's
   * runs never overlap.
   */
  async #authorization(
    signal: AbortSignal | undefined,
  ): Promise<{ authorization: string; reused: boolean }> {
    const { credential } = this.#options;
    if ('token' in credential) {
      const basic = Buffer.from(`${credential.email}:${credential.token}`);
      return { authorization: `Basic ${basic.toString('base64')}`, reused: false };
    }
    const reused = Boolean(this.#token && this.#token.expiresAt > Date.now());
    if (!reused) {
      this.#token = await this.#requestToken(credential, signal);
    }
    return { authorization: `Bearer ${this.#token!.value}`, reused };
  }

  async #requestToken(
    { clientId, clientSecret }: OAuthConsumerCredential,
    signal: AbortSignal | undefined,
  ): Promise<CachedToken> {
    const { tokenUrl } = this.#options;
    const url = new URL(tokenUrl);
    const request = `POST ${url.pathname} (client_credentials)`;
    const answer = await this.#fetch(request, url, MAX_TOKEN_BYTES, signal, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
      }).toString(),
    });
    const accessToken = field(answer.body, 'access_token');
    if (answer.status === 200 && typeof accessToken === 'string') {
      const expiresIn = Number(field(answer.body, 'expires_in'));
      const lifetimeMs = Number.isFinite(expiresIn) ? expiresIn * 1000 : 0;
      return {
        value: accessToken,
        expiresAt: Date.now() + lifetimeMs - TOKEN_RENEWAL_MARGIN_MS,
      };
    }
    if (answer.status === 200) {
      throw unavailable(request, 'answered without an access_token');
    }
    throw this.#tokenRefused(request, answer);
  }

  /** One request with a deadline and a size cap; network failures become messages */
  async #fetch(
    request: string,
    url: URL,
    maxBytes: number,
    runSignal: AbortSignal | undefined,
    init: RequestInit,
  ): Promise<Answer> {
    const { timeoutMs } = this.#options;
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = runSignal
      ? AbortSignal.any([deadline, runSignal])
      : deadline;
    try {
      // a redirect would take the request off the configured host
      const res = await fetch(url, { ...init, signal, redirect: 'error' });
      if (res.status === 429 || res.status >= 500) {
        await res.body?.cancel();
        throw unavailable(
          request,
          res.status === 429
            ? `is rate limited (HTTP 429, Retry-After ${
                res.headers.get('retry-after') ?? 'not given'
              })`
            : `answered HTTP ${res.status}`,
        );
      }
      const text = await readCapped(res, maxBytes);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        if (res.status === 200) {
          throw unavailable(
            request,
            'answered with a body that is not valid JSON',
          );
        }
      }
      return { status: res.status, body };
    } catch (error) {
      if (error instanceof ServiceUnavailableError) {
        throw error;
      }
      if (runSignal?.aborted) {
        throw unavailable(
          request,
          `was stopped: the run passed its ${CONFIG_ROOT}.${
            this.#options.providerId
          }.schedule.timeout`,
        );
      }
      if (deadline.aborted) {
        throw unavailable(request, `did not answer within ${timeoutMs} ms`);
      }
      if (error instanceof AnswerTooLarge) {
        throw unavailable(request, `answered with more than ${maxBytes} bytes`);
      }
      const cause = (error as { cause?: { code?: unknown } })?.cause;
      throw unavailable(
        request,
        `could not be reached (${
          typeof cause?.code === 'string'
            ? cause.code
            : (error as Error).message
        })`,
      );
    }
  }

  #tokenRefused(request: string, answer: Answer): Error {
    const id = this.#options.providerId;
    const error = stringOrUndefined(field(answer.body, 'error'));
    const said = `${error ?? `HTTP ${answer.status}`}${describe(
      field(answer.body, 'error_description'),
    )}`;
    if (error === 'invalid_client' || answer.status === 401) {
      return new AuthenticationError(
        `Bitbucket Cloud rejected the OAuth consumer credentials (${said}). Check ${CONFIG_ROOT}.${id}.clientId (the consumer's Key) and clientSecret (its Secret)`,
      );
    }
    if (error === 'unauthorized_client') {
      return new NotAllowedError(
        `Bitbucket Cloud refused ${request} (${said}). The consumer of ${CONFIG_ROOT}.${id}.clientId must be private: ${EDIT_CONSUMER}, tick "This is a private consumer" and save`,
      );
    }
    return new NotAllowedError(`Bitbucket Cloud refused ${request} (${said})`);
  }

  #apiRefused(request: string, workspace: string, answer: Answer): Error {
    const key = `${CONFIG_ROOT}.${this.#options.providerId}`;
    const error = field(answer.body, 'error');
    const what = `Bitbucket Cloud refused ${request} (HTTP ${
      answer.status
    }${describe(field(error, 'message'))})`;
    const required = field(field(error, 'detail'), 'required');
    const scopes = Array.isArray(required) ? required.map(String) : [];
    if ('token' in this.#options.credential) {
      switch (answer.status) {
        case 401:
          return new AuthenticationError(
            `${what}. Bitbucket did not accept the Atlassian API token: check ${key}.apiToken.email (the Atlassian account's email) and ${key}.apiToken.token, which may have expired or been revoked`,
          );
        case 403:
          return new NotAllowedError(
            `${what}. ${
              scopes.length > 0
                ? `The API token of ${key}.apiToken lacks the scope ${scopes.join(
                    ' and ',
                  )}`
                : `The account of ${key}.apiToken.email may not read this list of the workspace`
            }: ${API_TOKEN_STEPS}`,
          );
        case 404:
          return new NotFoundError(
            `${what}. There is no workspace "${workspace}" that the account of ${key}.apiToken.email is a member of: check the workspace slug under ${key}, and that the account is a member of the workspace`,
          );
        default:
        // other statuses are outages, below
      }
    } else {
      switch (answer.status) {
        case 401:
          return new AuthenticationError(
            `${what}. Bitbucket did not accept a fresh access token of the consumer of ${key}.clientId`,
          );
        case 403:
          return new NotAllowedError(
            `${what}. ${
              scopes.length > 0
                ? `The OAuth consumer of ${key}.clientId needs the ${scopes
                    .map(s => PERMISSION_OF_SCOPE[s] ?? `scope "${s}"`)
                    .join(' and ')} permission: ${EDIT_CONSUMER}, tick it and save`
                : `The app user of the OAuth consumer of ${key}.clientId may not read this list of the workspace`
            }`,
          );
        case 404:
          return new NotFoundError(
            `${what}. The OAuth consumer of ${key}.clientId cannot reach workspace "${workspace}", or there is none: check the workspace slug under ${key}. A client-credentials token acts as an app user of the workspace that owns the consumer, and reaches no other (a consumer owned by a personal workspace reaches only that one): add the consumer in ${workspace}'s Workspace settings > OAuth consumers, or use an Atlassian API token (${key}.apiToken)`,
          );
        default:
        // other statuses are outages, below
      }
    }
    return unavailable(request, `answered HTTP ${answer.status}`);
  }
}

function unavailable(request: string, reason: string) {
  return new ServiceUnavailableError(
    `Bitbucket Cloud failed: ${request} ${reason}`,
  );
}

/** Bitbucket's own words, cut short: they reach logs */
function describe(text: unknown): string {
  return typeof text === 'string' && text ? `: ${text.slice(0, 200)}` : '';
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)[name]
    : undefined;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The body as text, refusing more than maxBytes as soon as they arrive */
async function readCapped(res: Response, maxBytes: number): Promise<string> {
  if (Number(res.headers.get('content-length')) > maxBytes) {
    await res.body?.cancel();
    throw new AnswerTooLarge();
  }
  if (!res.body) {
    return '';
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.byteLength;
    if (size > maxBytes) {
      // leaving the loop early cancels the stream
      throw new AnswerTooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
