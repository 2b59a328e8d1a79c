import http from 'node:http';
import { BitbucketClient } from './BitbucketClient';
import { startLoopbackServer } from '@bitbucket-signin/test-kit';

type Handler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
) => void | Promise<void>;

const ACCESS_TOKEN = 'access-token-that-must-never-leak';

const user = {
  type: 'user',
  uuid: '{5c1f0000-0000-4000-8000-000000000001}',
  account_id: '557058:0001',
  username: 'alice-bb',
  nickname: 'alice',
  display_name: 'Alice Anderson',
  links: { avatar: { href: 'https://avatar.example/alice.png' } },
};

function email(address: string, isPrimary: boolean, isConfirmed: boolean) {
  return {
    type: 'email',
    email: address,
    is_primary: isPrimary,
    is_confirmed: isConfirmed,
  };
}

function json(res: http.ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

describe('BitbucketClient', () => {
  let server: Awaited<ReturnType<typeof startLoopbackServer>>;
  let baseUrl: string;
  let handler: Handler;
  let requests: string[];

  beforeAll(async () => {
    server = await startLoopbackServer((req, res) => {
      requests.push(`${req.method} ${req.url} ${req.headers.authorization}`);
      Promise.resolve(handler(req, res)).catch(() => res.destroy());
    });
    baseUrl = `${server.url}/2.0`;
  });

  afterAll(() => server.stop());

  beforeEach(() => {
    requests = [];
  });

  function fetchIdentity(
    options: { timeoutMs?: number; allowedWorkspaces?: string[] } = {},
  ) {
    return new BitbucketClient({
      apiBaseUrl: baseUrl,
      allowedWorkspaces: options.allowedWorkspaces,
    }).fetchIdentity(ACCESS_TOKEN, options.timeoutMs ?? 2000);
  }

  function answer(emailPages: unknown[][]): Handler {
    return (req, res) => {
      const url = new URL(req.url!, 'http://x');
      if (url.pathname === '/2.0/user') {
        json(res, 200, user);
      } else if (url.pathname === '/2.0/user/emails') {
        const page = Number(url.searchParams.get('page') ?? '1');
        json(res, 200, {
          pagelen: 100,
          page,
          size: emailPages.flat().length,
          values: emailPages[page - 1],
          ...(page < emailPages.length
            ? { next: `${baseUrl}/user/emails?pagelen=100&page=${page + 1}` }
            : {}),
        });
      } else {
        json(res, 404, { type: 'error', error: { message: 'nope' } });
      }
    };
  }

  function rejectionOf(promise: Promise<unknown>): Promise<Error> {
    return promise.then(
      () => {
        throw new Error('expected a rejection');
      },
      error => error,
    );
  }

  it('builds the identity from the user and confirmed emails, with the bearer token', async () => {
    handler = answer([
      [
        email('mallory-claims-this@example.com', true, false),
        email('alice@example.com', false, true),
      ],
    ]);
    const identity = await fetchIdentity();
    expect(identity).toMatchObject({
      uuid: user.uuid,
      username: 'alice-bb',
      displayName: 'Alice Anderson',
      avatarUrl: 'https://avatar.example/alice.png',
      email: 'alice@example.com',
      confirmedEmails: ['alice@example.com'],
    });
    expect(requests).toHaveLength(2);
    expect(requests.every(r => r.endsWith(`Bearer ${ACCESS_TOKEN}`))).toBe(
      true,
    );
    expect(requests.some(r => r.includes('/2.0/user/emails?pagelen=100'))).toBe(
      true,
    );
  });

  it('has both calls in flight at once: neither is answered until both arrived', async () => {
    const arrived = new Set<string>();
    const waiting: Array<() => void> = [];
    const inner = answer([[email('alice@example.com', true, true)]]);
    handler = (req, res) => {
      arrived.add(new URL(req.url!, 'http://x').pathname);
      waiting.push(() => inner(req, res));
      if (arrived.has('/2.0/user') && arrived.has('/2.0/user/emails')) {
        waiting.splice(0).forEach(release => release());
      }
    };
    // Sequential calls would never see both arrive and would time out instead.
    const identity = await fetchIdentity({ timeoutMs: 1500 });
    expect(identity.email).toBe('alice@example.com');
  });

  it('gives up after the timeout with a message naming the config key', async () => {
    handler = req => {
      if (req.url!.startsWith('/2.0/user/emails')) {
        return; // hangs
      }
    };
    const started = Date.now();
    const error = await rejectionOf(fetchIdentity({ timeoutMs: 300 }));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.name).toBe('ServiceUnavailableError');
    expect(error.message).toMatch(
      /^Bitbucket Cloud failed: GET \/2\.0\/user(\/emails)? did not answer within auth.providers.bitbucket.<environment>.timeout/,
    );
  });

  it.each([
    [403, '/2.0/user/emails', 'NotAllowedError', /"Account: Email"/],
    [403, '/2.0/user', 'NotAllowedError', /"Account: Email"/],
    [401, '/2.0/user', 'AuthenticationError', /access token was not accepted/],
    [410, '/2.0/user', 'NotImplementedError', /removed this endpoint/],
  ])(
    'maps HTTP %s on %s to %s naming what to fix',
    async (status, path, name, text) => {
      const inner = answer([[email('alice@example.com', true, true)]]);
      handler = (req, res) => {
        if (new URL(req.url!, 'http://x').pathname === path) {
          json(res, status, {
            type: 'error',
            error: {
              message:
                'Your credentials lack one or more required privilege scopes.',
              detail: { required: ['email'], granted: ['account'] },
            },
          });
        } else {
          inner(req, res);
        }
      };
      const error = await rejectionOf(fetchIdentity());
      expect(error.name).toBe(name);
      expect(error.message).toMatch(text);
      expect(error.message).toContain(`GET ${path} (HTTP ${status}`);
      expect(error.message).not.toContain(ACCESS_TOKEN);
    },
  );

  it("names the endpoint's permission when a 403 lists no required scopes", async () => {
    const inner = answer([[email('alice@example.com', true, true)]]);
    handler = (req, res) => {
      if (new URL(req.url!, 'http://x').pathname === '/2.0/user') {
        json(res, 403, {
          type: 'error',
          error: { message: 'm', detail: { required: [] } },
        });
      } else {
        inner(req, res);
      }
    };
    const error = await rejectionOf(fetchIdentity());
    expect(error.message).toContain(
      'needs the OAuth consumer permission "Account: Read" (scope account)',
    );
  });

  it.each([
    [
      '5xx',
      (res: http.ServerResponse) =>
        json(res, 503, { type: 'error', error: { message: 'down' } }),
      /answered HTTP 503/,
    ],
    [
      '429',
      (res: http.ServerResponse) => {
        res.writeHead(429, { 'retry-after': '30' });
        res.end();
      },
      /rate limited \(HTTP 429, retry after 30\)/,
    ],
    [
      'a connection reset',
      (res: http.ServerResponse) => res.socket!.destroy(),
      /could not be reached/,
    ],
  ])(
    'reports %s as Bitbucket Cloud failing, with method and path',
    async (_, fail, text) => {
      handler = (req, res) => {
        if (req.url!.startsWith('/2.0/user/emails')) {
          fail(res);
        } else {
          json(res, 200, user);
        }
      };
      const error = await rejectionOf(fetchIdentity());
      expect(error.name).toBe('ServiceUnavailableError');
      expect(error.message).toMatch(
        /^Bitbucket Cloud failed: GET \/2\.0\/user\/emails/,
      );
      expect(error.message).toMatch(text);
      expect(error.message).not.toContain(ACCESS_TOKEN);
    },
  );

  it('asks for the role in each allowed workspace, in the same round trip, and takes 404 as not a member', async () => {
    const inner = answer([[email('alice@example.com', true, true)]]);
    handler = (req, res) => {
      const { pathname } = new URL(req.url!, 'http://x');
      if (pathname === '/2.0/user/workspaces/acme/permission') {
        json(res, 200, {
          type: 'workspace_membership',
          permission: 'owner',
          workspace: { type: 'workspace_base', slug: 'acme', uuid: '{w}' },
        });
      } else if (pathname === '/2.0/user/workspaces/beta/permission') {
        json(res, 404, { type: 'error', error: { message: 'Not found' } });
      } else {
        inner(req, res);
      }
    };
    const identity = await fetchIdentity({
      allowedWorkspaces: ['acme', 'beta'],
    });
    expect(identity.workspaces).toEqual([
      { slug: 'acme', uuid: '{w}', permission: 'owner' },
    ]);
    expect(requests).toHaveLength(4);
  });
});
