import {
  BitbucketSimulator,
  demoUsers,
  generateWorkspace,
  SimulatorConsumer,
  startBitbucketSimulator,
} from '@bitbucket-signin/bitbucket-cloud-simulator';
import { ServerResponse } from 'node:http';
import {
  BitbucketOrgClient,
  BitbucketOrgClientOptions,
} from './BitbucketOrgClient';
import { startLoopbackServer } from '@bitbucket-signin/test-kit';

const SECRET = 'org-client-test-secret';

const consumer: SimulatorConsumer = {
  key: 'org-client-test',
  secret: SECRET,
  callbackUrl: 'http://localhost:7007/api/auth/bitbucket/handler/frame',
  scopes: ['account'],
  isPrivate: true,
  owner: 'alice-bb',
};

const MEMBERS_PATH = '/2.0/workspaces/acme/members';
const TOKEN_PATH = '/site/oauth2/access_token';

function clientFor(
  sim: { tokenUrl: string; apiBaseUrl: string },
  options: Partial<BitbucketOrgClientOptions> = {},
) {
  return new BitbucketOrgClient({
    providerId: 'test',
    credential: { clientId: consumer.key, clientSecret: SECRET },
    tokenUrl: sim.tokenUrl,
    apiBaseUrl: sim.apiBaseUrl,
    ...options,
  });
}

/** The error a call fails with; the test fails if it succeeds */
async function failureOf(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: Error) => error,
  );
  if (!outcome) {
    throw new Error('expected the call to fail');
  }
  // no failure ever carries the secret or a bearer token
  expect(outcome.message).not.toContain(SECRET);
  expect(outcome.message).not.toMatch(/bearer|access_token=/i);
  return outcome;
}

describe('BitbucketOrgClient', () => {
  let sim: BitbucketSimulator;

  afterEach(async () => {
    jest.restoreAllMocks();
    await sim?.stop();
  });

  describe('reading a workspace', () => {
    const big = generateWorkspace({ slug: 'big', members: 250 });
    const bigConsumer = { ...consumer, owner: 'big-user-0' };

    beforeEach(async () => {
      sim = await startBitbucketSimulator({
        users: [...demoUsers, ...big],
        consumers: [bigConsumer],
      });
    });

    it('reads every page of members, 100 at a time, following next', async () => {
      const members = await clientFor(sim).listMembers('big');
      expect(members).toHaveLength(250);
      expect(members.map(m => m.uuid)).toEqual(big.map(u => u.uuid));
      expect(members[0]).toEqual({
        uuid: big[0].uuid,
        nickname: 'user0',
        displayName: 'Member 0 of big',
        avatarUrl: `${sim.url}/avatars/big-user-0.svg`,
      });
      expect(sim.requestCounts()['/2.0/workspaces/big/members']).toBe(3);
    });

    it('reads every page of permissions', async () => {
      const permissions = await clientFor(sim).listPermissions('big');
      expect(permissions).toHaveLength(250);
      expect(permissions.filter(p => p.permission === 'owner')).toEqual([
        { uuid: big[0].uuid, permission: 'owner' },
      ]);
    });

    it('fails the whole list when a later page fails', async () => {
      sim.addFault({
        path: '/2.0/workspaces/big/members',
        kind: 'status',
        status: 500,
        after: 1,
      });
      const error = await failureOf(clientFor(sim).listMembers('big'));
      expect(error.message).toBe(
        'Bitbucket Cloud failed: GET /2.0/workspaces/big/members?pagelen=100&page=2 answered HTTP 500',
      );
    });

    it('asks for one token and reuses it for both lists and later runs', async () => {
      const client = clientFor(sim);
      await client.listMembers('big');
      await client.listPermissions('big');
      await client.listMembers('big');
      expect(sim.requestCounts()[TOKEN_PATH]).toBe(1);
    });

    it('gets a fresh token once when Bitbucket stops accepting the cached one', async () => {
      const client = clientFor(sim);
      await client.listMembers('big');
      sim.expireAccessTokens();
      await expect(client.listMembers('big')).resolves.toHaveLength(250);
      expect(sim.requestCounts()[TOKEN_PATH]).toBe(2);
    });

    it('asks for a new token once the cached one is within a minute of expiring', async () => {
      const client = clientFor(sim);
      await client.listMembers('big');
      // the client's expiry check is the first clock reading of the next list
      jest
        .spyOn(Date, 'now')
        .mockReturnValueOnce(Date.now() + (7200 - 59) * 1000);
      await client.listPermissions('big');
      expect(sim.requestCounts()[TOKEN_PATH]).toBe(2);
    });
  });

  describe('failures, worded for the admin', () => {
    beforeEach(async () => {
      sim = await startBitbucketSimulator({
        consumers: [
          consumer,
          { ...consumer, key: 'public', isPrivate: false },
          { ...consumer, key: 'email-only', scopes: ['email'] },
        ],
      });
    });

    it('wrong credentials name the clientId and clientSecret keys', async () => {
      const error = await failureOf(
        clientFor(sim, {
          credential: { clientId: consumer.key, clientSecret: 'wrong' },
        }).listMembers('acme'),
      );
      expect(error.name).toBe('AuthenticationError');
      expect(error.message).toBe(
        "Bitbucket Cloud rejected the OAuth consumer credentials (invalid_client: Invalid OAuth client credentials). Check catalog.providers.bitbucketCloudOrg.test.clientId (the consumer's Key) and clientSecret (its Secret)",
      );
    });

    it('a consumer that is not private says to tick "This is a private consumer"', async () => {
      const error = await failureOf(
        clientFor(sim, {
          credential: { clientId: 'public', clientSecret: SECRET },
        }).listMembers('acme'),
      );
      expect(error.name).toBe('NotAllowedError');
      expect(error.message).toContain(
        'Bitbucket Cloud refused POST /site/oauth2/access_token (client_credentials) (unauthorized_client: Client credentials are only allowed for private consumers). The consumer of catalog.providers.bitbucketCloudOrg.test.clientId must be private',
      );
      expect(error.message).toContain('tick "This is a private consumer"');
    });

    it('a workspace the consumer cannot reach says where to add the consumer, or to use an API token', async () => {
      const error = await failureOf(clientFor(sim).listMembers('acme-typo'));
      expect(error.name).toBe('NotFoundError');
      expect(error.message).toBe(
        'Bitbucket Cloud refused GET /2.0/workspaces/acme-typo/members?pagelen=100 (HTTP 404: Workspace acme-typo not found). The OAuth consumer of catalog.providers.bitbucketCloudOrg.test.clientId cannot reach workspace "acme-typo", or there is none: check the workspace slug under catalog.providers.bitbucketCloudOrg.test. A client-credentials token acts as an app user of the workspace that owns the consumer, and reaches no other (a consumer owned by a personal workspace reaches only that one): add the consumer in acme-typo\'s Workspace settings > OAuth consumers, or use an Atlassian API token (catalog.providers.bitbucketCloudOrg.test.apiToken)',
      );
    });

    it('a missing consumer permission is named the way Bitbucket shows it', async () => {
      const error = await failureOf(
        clientFor(sim, {
          credential: { clientId: 'email-only', clientSecret: SECRET },
        }).listPermissions('acme'),
      );
      expect(error.name).toBe('NotAllowedError');
      expect(error.message).toContain(
        'The OAuth consumer of catalog.providers.bitbucketCloudOrg.test.clientId needs the "Account: Read" permission',
      );
    });

    it.each([
      [{ kind: 'status', status: 503 }, 'answered HTTP 503'],
      [
        { kind: 'status', status: 429, retryAfterSeconds: 30 },
        'is rate limited (HTTP 429, Retry-After 30)',
      ],
      [{ kind: 'malformed' }, 'answered with a body that is not valid JSON'],
      [{ kind: 'reset' }, 'could not be reached'],
    ] as const)(
      'Bitbucket failing (%j) is an outage: %s',
      async (fault, reason) => {
        sim.addFault({ path: MEMBERS_PATH, ...fault });
        const error = await failureOf(clientFor(sim).listMembers('acme'));
        expect(error.name).toBe('ServiceUnavailableError');
        expect(error.message).toContain(
          `Bitbucket Cloud failed: GET ${MEMBERS_PATH}?pagelen=100 ${reason}`,
        );
      },
    );

    it('gives every request a deadline', async () => {
      sim.addFault({ path: MEMBERS_PATH, kind: 'hang' });
      const error = await failureOf(
        clientFor(sim, { timeoutMs: 200 }).listMembers('acme'),
      );
      expect(error.message).toBe(
        `Bitbucket Cloud failed: GET ${MEMBERS_PATH}?pagelen=100 did not answer within 200 ms`,
      );
    });

    it('stops when the run is aborted, naming the schedule timeout', async () => {
      sim.addFault({ path: MEMBERS_PATH, kind: 'hang' });
      const run = new AbortController();
      const pending = clientFor(sim).listMembers('acme', run.signal);
      setImmediate(() => run.abort());
      const error = await failureOf(pending);
      expect(error.message).toContain(
        'was stopped: the run passed its catalog.providers.bitbucketCloudOrg.test.schedule.timeout',
      );
    });

    it('an unreachable Bitbucket says so', async () => {
      const { tokenUrl, apiBaseUrl } = sim;
      await sim.stop();
      const error = await failureOf(
        clientFor({ tokenUrl, apiBaseUrl }).listMembers('acme'),
      );
      expect(error.message).toBe(
        'Bitbucket Cloud failed: POST /site/oauth2/access_token (client_credentials) could not be reached (ECONNREFUSED)',
      );
    });
  });
});

describe('BitbucketOrgClient against answers the simulator never gives', () => {
  const token = 'loopback-access-token';
  let server: Awaited<ReturnType<typeof startLoopbackServer>>;
  let page: (res: ServerResponse, url: URL) => void;

  beforeEach(async () => {
    server = await startLoopbackServer((req, res) => {
      req.resume();
      const url = new URL(req.url!, 'http://127.0.0.1');
      if (url.pathname === TOKEN_PATH) {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ access_token: token, expires_in: 7200 }));
        return;
      }
      page(res, url);
    });
  });

  afterEach(async () => {
    await server.stop();
  });

  const client = () =>
    clientFor({
      tokenUrl: `${server.url}${TOKEN_PATH}`,
      apiBaseUrl: `${server.url}/2.0`,
    });

  function json(res: ServerResponse, body: unknown, status = 200) {
    res.statusCode = status;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  }

  it('accepts "next": null as the last page, and skips entries without a uuid', async () => {
    page = (res, url) =>
      json(res, {
        values: [
          { user: { uuid: '{a}', nickname: 'a' } },
          { user: { nickname: 'no-uuid' } },
        ],
        next: url.searchParams.get('page')
          ? null
          : `${server.url}${url.pathname}?page=2`,
      });
    const members = await client().listMembers('acme');
    expect(members.map(m => m.nickname)).toEqual(['a', 'a']);
  });

  it('follows no next link off the API host or out of its base path', async () => {
    for (const next of [
      'http://evil.example/2.0/workspaces/acme/members?page=2',
      `${server.url}/2.0/../internal?page=2`,
    ]) {
      page = res => json(res, { values: [], next });
      const error = await failureOf(client().listMembers('acme'));
      expect(error.message).toBe(
        `Bitbucket Cloud failed: GET /2.0/workspaces/acme/members answered a next link outside ${server.url}/2.0/`,
      );
    }
  });

  it('refuses a page over 1 MiB', async () => {
    page = res => {
      res.setHeader('content-type', 'application/json');
      res.end(`{"values":["${'x'.repeat(1024 * 1024)}"]}`);
    };
    const error = await failureOf(client().listMembers('acme'));
    expect(error.message).toBe(
      'Bitbucket Cloud failed: GET /2.0/workspaces/acme/members?pagelen=100 answered with more than 1048576 bytes',
    );
  });

  it('refuses a page without a values list', async () => {
    page = res => json(res, { type: 'error' });
    const error = await failureOf(client().listMembers('acme'));
    expect(error.message).toContain('answered a page without a values list');
  });

  it('gives up when even a fresh token is refused, without the token in the message', async () => {
    page = res =>
      json(
        res,
        { type: 'error', error: { message: 'Invalid access token.' } },
        401,
      );
    const error = await failureOf(client().listMembers('acme'));
    expect(error.name).toBe('AuthenticationError');
    expect(error.message).not.toContain(token);
    expect(error.message).toContain(
      'Bitbucket Cloud refused GET /2.0/workspaces/acme/members?pagelen=100 (HTTP 401: Invalid access token.)',
    );
  });

  it('explains a 403 without a scope list as the app user lacking access', async () => {
    page = res =>
      json(res, { type: 'error', error: { message: 'Forbidden' } }, 403);
    const error = await failureOf(client().listPermissions('acme'));
    expect(error.message).toContain(
      'The app user of the OAuth consumer of catalog.providers.bitbucketCloudOrg.test.clientId may not read this list of the workspace',
    );
  });
});
