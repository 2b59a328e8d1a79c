import {
  BitbucketSimulator,
  demoApiToken,
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
  workspace: 'acme',
};

const MEMBERS_PATH = '/2.0/workspaces/acme/members';
const TOKEN_PATH = '/site/oauth2/access_token';
const KEY = 'catalog.providers.bitbucketCloudOrg.test';

function clientFor(
  sim: { tokenUrl: string; apiBaseUrl: string },
  options: Partial<BitbucketOrgClientOptions> = {},
) {
  const client = new BitbucketOrgClient({
    configKey: KEY,
    credential: { clientId: consumer.key, clientSecret: SECRET },
    tokenUrl: sim.tokenUrl,
    apiBaseUrl: sim.apiBaseUrl,
    ...options,
  });
  const limits = { maxItems: 1000, maxPages: 100, maxBytes: 1024 * 1024 * 10 };
  return {
    listMembers: (workspace: string, signal = AbortSignal.timeout(5000)) =>
      client.listMembers(workspace, { signal, limits }),
    listOwners: (workspace: string, signal = AbortSignal.timeout(5000)) =>
      client.listOwners(workspace, { signal, limits }),
  };
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
    const bigConsumer = { ...consumer, workspace: 'big' };

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
        account_id: big[0].accountId,
        nickname: 'user0',
        display_name: 'Member 0 of big',
        links: { avatar: { href: `${sim.url}/avatars/big-user-0.svg` } },
      });
      expect(sim.requestCounts()['/2.0/workspaces/big/members']).toBe(3);
    });

    it('reads the owners from every page of permissions', async () => {
      const owners = await clientFor(sim).listOwners('big');
      expect(owners).toEqual([big[0].uuid]);
      expect(sim.requestCounts()['/2.0/workspaces/big/permissions']).toBe(3);
    });

    it('fails the whole list when a later page fails', async () => {
      sim.addFault({
        path: '/2.0/workspaces/big/members',
        kind: 'status',
        status: 500,
        after: 1,
      });
      const error = await failureOf(clientFor(sim).listMembers('big'));
      expect(error.message).toContain(
        'Bitbucket Cloud failed: GET /2.0/workspaces/big/members answered HTTP 500',
      );
      // the first page, then the second twice: a GET gets one more try
      expect(sim.requestCounts()['/2.0/workspaces/big/members']).toBe(3);
    });

    it('asks for one token and reuses it for both lists and later runs', async () => {
      const client = clientFor(sim);
      await client.listMembers('big');
      await client.listOwners('big');
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
      await client.listOwners('big');
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
      expect(error.name).toBe('NotAllowedError');
      expect(error.message).toBe(
        `Bitbucket Cloud rejected the OAuth consumer credentials (invalid_client: Invalid OAuth client credentials). Check ${KEY}.clientId (the consumer's Key) and ${KEY}.clientSecret (its Secret)`,
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

    it.each(['acme-typo', 'alice-personal'])(
      'a workspace the consumer cannot reach (%s) says where to add the consumer, or to use an API token',
      async workspace => {
        const error = await failureOf(clientFor(sim).listMembers(workspace));
        expect(error.name).toBe('NotFoundError');
        expect(error.message).toBe(
          `Bitbucket Cloud refused GET /2.0/workspaces/${workspace}/members (HTTP 404: Workspace ${workspace} not found). The OAuth consumer of catalog.providers.bitbucketCloudOrg.test.clientId cannot reach workspace "${workspace}", or there is none: check the workspace slug under catalog.providers.bitbucketCloudOrg.test. A client-credentials token acts as an app user of the workspace that owns the consumer, and reaches no other (a consumer owned by a personal workspace reaches only that one): add the consumer in ${workspace}'s Workspace settings > OAuth consumers, or use an Atlassian API token (catalog.providers.bitbucketCloudOrg.test.apiToken)`,
        );
      },
    );

    it('a missing consumer permission is named the way Bitbucket shows it', async () => {
      const error = await failureOf(
        clientFor(sim, {
          credential: { clientId: 'email-only', clientSecret: SECRET },
        }).listOwners('acme'),
      );
      expect(error.name).toBe('NotAllowedError');
      expect(error.message).toContain(
        `The OAuth consumer of ${KEY}.clientId needs the OAuth consumer permission "Account: Read" (scope account): in Bitbucket open Workspace settings > OAuth consumers > your consumer > Edit, tick it and save`,
      );
    });

    it("ends a request that hangs at the run's deadline, naming limits.runTimeout", async () => {
      sim.addFault({ path: MEMBERS_PATH, kind: 'hang' });
      const error = await failureOf(
        clientFor(sim).listMembers('acme', AbortSignal.timeout(200)),
      );
      expect(error.message).toContain(
        `Bitbucket Cloud failed: GET ${MEMBERS_PATH} did not answer within ${KEY}.limits.runTimeout`,
      );
    });
  });
});

describe('BitbucketOrgClient with an Atlassian API token', () => {
  let sim: BitbucketSimulator;
  const TOKEN = demoApiToken.token;

  beforeEach(async () => {
    const [alice, ...others] = demoUsers;
    sim = await startBitbucketSimulator({
      users: [
        alice,
        // a token made without read:workspace:bitbucket
        {
          ...others[0],
          apiTokens: [{ token: 'bob-token', scopes: ['read:user:bitbucket'] }],
        },
        ...others.slice(1),
      ],
    });
  });

  afterEach(async () => {
    await sim.stop();
  });

  const withToken = (email: string, token: string) =>
    clientFor(sim, { credential: { email, token } });

  /** Like failureOf, and the API token is never in the message either */
  async function refusal(promise: Promise<unknown>) {
    const error = await failureOf(promise);
    expect(error.message).not.toContain(TOKEN);
    return error;
  }

  it('reads every workspace its account is in, with HTTP Basic and no token request', async () => {
    const client = withToken(demoApiToken.email, TOKEN);
    await expect(client.listMembers('acme')).resolves.toHaveLength(4);
    await expect(client.listOwners('alice-personal')).resolves.toEqual([
      demoUsers[0].uuid,
    ]);
    expect(sim.requestCounts()[TOKEN_PATH]).toBeUndefined();
  });

  it('a wrong email or token names both keys', async () => {
    const error = await refusal(
      withToken('mallory@evil.example', TOKEN).listMembers('acme'),
    );
    expect(error.name).toBe('AuthenticationError');
    expect(error.message).toContain(
      `Bitbucket did not accept the Atlassian API token: check ${KEY}.apiToken.email (the Atlassian account's email) and ${KEY}.apiToken.token`,
    );
  });

  it('a token without read:workspace:bitbucket names the scope and how to make one', async () => {
    const error = await refusal(
      withToken('bob.brown@example.com', 'bob-token').listMembers('acme'),
    );
    expect(error.name).toBe('NotAllowedError');
    expect(error.message).toContain(
      `The API token of ${KEY}.apiToken lacks the scope read:workspace:bitbucket: create an API token with scopes`,
    );
  });

  it('a workspace its account is not in says so', async () => {
    const error = await refusal(
      withToken(demoApiToken.email, TOKEN).listMembers('other-co'),
    );
    expect(error.name).toBe('NotFoundError');
    expect(error.message).toContain(
      `There is no workspace "other-co" that the account of ${KEY}.apiToken.email is a member of`,
    );
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

  const ALICE = '{4b3fc47c-f21d-4942-bc5c-5ad7ca0f1a3e}';

  it('accepts "next": null as the last page', async () => {
    page = (res, url) =>
      json(res, {
        values: [{ user: { uuid: ALICE, nickname: 'alice' } }],
        next: url.searchParams.get('page')
          ? null
          : `${server.url}${url.pathname}?page=2`,
      });
    const members = await client().listMembers('acme');
    expect(members.map(m => m.uuid)).toEqual([ALICE, ALICE]);
  });

  it.each([
    [{ nickname: 'no-uuid' }, 'values.1.user.uuid: Required'],
    [
      { uuid: 'alice', nickname: 'alice' },
      'values.1.user.uuid: not a Bitbucket uuid',
    ],
    [{ uuid: '{a}' }, 'values.1.user.uuid: not a Bitbucket uuid'],
  ])(
    'refuses a members page with a member %j, whose entity name would not be a uuid',
    async (user, reason) => {
      page = res =>
        json(res, { values: [{ user: { uuid: ALICE } }, { user }] });
      const error = await failureOf(client().listMembers('acme'));
      expect(error.message).toContain(
        `Bitbucket Cloud answered GET /2.0/workspaces/acme/members unexpectedly: ${reason}`,
      );
    },
  );

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
      `Bitbucket Cloud refused GET /2.0/workspaces/acme/members (HTTP 401: Invalid access token.). Bitbucket did not accept a fresh access token of the consumer of ${KEY}.clientId`,
    );
  });

  it('explains a 403 without a scope list as the app user lacking access', async () => {
    page = res =>
      json(res, { type: 'error', error: { message: 'Forbidden' } }, 403);
    const error = await failureOf(client().listOwners('acme'));
    expect(error.message).toContain(
      `The OAuth consumer of ${KEY}.clientId acts as an app user that may not read this list of the workspace`,
    );
  });
});
