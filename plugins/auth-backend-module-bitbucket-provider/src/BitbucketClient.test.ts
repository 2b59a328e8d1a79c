import { mockServices } from '@backstage/backend-test-utils';
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
  const logger = mockServices.logger.mock();

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
    jest.clearAllMocks();
  });

  function client(timeoutMs = 2000) {
    return new BitbucketClient({ apiBaseUrl: baseUrl, timeoutMs, logger });
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
    const identity = await client().fetchIdentity(ACCESS_TOKEN);
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

  it('follows next links through every page of emails', async () => {
    handler = answer([
      [email('a1@example.com', false, false)],
      [email('a2@example.com', false, true)],
      [email('alice@example.com', true, true)],
    ]);
    const identity = await client().fetchIdentity(ACCESS_TOKEN);
    expect(identity.email).toBe('alice@example.com');
    expect(identity.confirmedEmails).toEqual([
      'alice@example.com',
      'a2@example.com',
    ]);
    expect(requests.filter(r => r.includes('/user/emails'))).toHaveLength(3);
  });

  it('takes a null next link, and a base URL with a trailing slash, as the last page', async () => {
    handler = (req, res) =>
      req.url!.startsWith('/2.0/user/emails')
        ? json(res, 200, {
            values: [email('alice@example.com', true, true)],
            next: null,
          })
        : json(res, 200, user);
    const identity = await new BitbucketClient({
      apiBaseUrl: `${baseUrl}/`,
      timeoutMs: 2000,
      logger,
    }).fetchIdentity(ACCESS_TOKEN);
    expect(identity.email).toBe('alice@example.com');
    expect(requests).toHaveLength(2);
  });

  it('stops following next links after 20 pages', async () => {
    handler = answer(
      Array.from({ length: 30 }, (_, i) => [
        email(`a${i}@example.com`, i === 0, true),
      ]),
    );
    const identity = await client().fetchIdentity(ACCESS_TOKEN);
    expect(identity.confirmedEmails).toHaveLength(20);
    expect(requests.filter(r => r.includes('/user/emails'))).toHaveLength(20);
  });

  it('never follows a next link that leaves the API, so the token stays home', async () => {
    handler = (req, res) => {
      if (req.url!.startsWith('/2.0/user/emails')) {
        json(res, 200, {
          values: [],
          next: 'http://127.0.0.1:1/steal?page=2',
        });
      } else {
        json(res, 200, user);
      }
    };
    const error = await rejectionOf(client().fetchIdentity(ACCESS_TOKEN));
    expect(error.message).toContain('outside');
    expect(requests).toHaveLength(2);
  });

  it('never follows a next link that climbs out of the API base with dot segments', async () => {
    handler = (req, res) => {
      if (req.url!.startsWith('/2.0/user/emails')) {
        json(res, 200, { values: [], next: `${baseUrl}/../../steal?page=2` });
      } else {
        json(res, 200, user);
      }
    };
    const error = await rejectionOf(client().fetchIdentity(ACCESS_TOKEN));
    expect(error.message).toContain('outside');
    expect(requests.map(r => r.split(' ')[1])).not.toContain('/steal?page=2');
    expect(requests).toHaveLength(2);
  });

  it('follows a next link with dot segments that stays under the API base', async () => {
    handler = answer([
      [email('alice@example.com', true, true)],
      [email('alice@work.example', false, true)],
    ]);
    const inner = handler;
    handler = (req, res) => {
      const url = new URL(req.url!, 'http://x');
      if (
        url.pathname === '/2.0/user/emails' &&
        !url.searchParams.has('page')
      ) {
        json(res, 200, {
          values: [email('alice@example.com', true, true)],
          next: `${baseUrl}/repositories/../user/emails?pagelen=100&page=2`,
        });
        return;
      }
      inner(req, res);
    };
    const identity = await client().fetchIdentity(ACCESS_TOKEN);
    expect(identity.confirmedEmails).toEqual([
      'alice@example.com',
      'alice@work.example',
    ]);
  });

  it('refuses an answer larger than any Bitbucket page, naming the request', async () => {
    handler = (req, res) => {
      if (req.url!.startsWith('/2.0/user/emails')) {
        json(res, 200, { values: [], padding: 'x'.repeat(2 * 1024 * 1024) });
      } else {
        json(res, 200, user);
      }
    };
    const error = await rejectionOf(client().fetchIdentity(ACCESS_TOKEN));
    expect(error.name).toBe('ServiceUnavailableError');
    expect(error.message).toContain(
      'GET /2.0/user/emails answered with more than 1048576 bytes',
    );
    // not retried: a second try would be just as large
    expect(requests.filter(r => r.includes('/user/emails'))).toHaveLength(1);
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
    const identity = await client(1500).fetchIdentity(ACCESS_TOKEN);
    expect(identity.email).toBe('alice@example.com');
  });

  it('gives up after the timeout with a message naming the config key', async () => {
    handler = req => {
      if (req.url!.startsWith('/2.0/user/emails')) {
        return; // hangs
      }
    };
    const started = Date.now();
    const error = await rejectionOf(client(300).fetchIdentity(ACCESS_TOKEN));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.name).toBe('ServiceUnavailableError');
    expect(error.message).toMatch(
      /Bitbucket Cloud failed: GET \/2\.0\/user(\/emails)? did not answer within 300 ms/,
    );
    expect(error.message).toContain(
      'auth.providers.bitbucket.<environment>.timeout',
    );
    expect(logger.warn).toHaveBeenCalled();
  });

  it.each([
    [403, '/2.0/user/emails', 'NotAllowedError', /"Email" permission/],
    [401, '/2.0/user/emails', 'NotAllowedError', /"Email" permission/],
    [403, '/2.0/user', 'NotAllowedError', /"Account: Read" permission/],
    [401, '/2.0/user', 'AuthenticationError', /access token was not accepted/],
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
      const error = await rejectionOf(client().fetchIdentity(ACCESS_TOKEN));
      expect(error.name).toBe(name);
      expect(error.message).toMatch(text);
      expect(error.message).toContain(`GET ${path} (HTTP ${status}`);
      expect(error.message).not.toContain(ACCESS_TOKEN);
    },
  );

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
      /rate limited \(HTTP 429, retry after 30 s\)/,
    ],
    [
      'malformed JSON',
      (res: http.ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"uuid": "{5c1f');
      },
      /not valid JSON/,
    ],
    [
      'a connection reset',
      (res: http.ServerResponse) => res.socket!.destroy(),
      /could not be reached/,
    ],
  ])(
    'reports %s as Bitbucket Cloud failing, with method and path, and logs it',
    async (_, fail, text) => {
      handler = (req, res) => {
        if (req.url!.startsWith('/2.0/user/emails')) {
          fail(res);
        } else {
          json(res, 200, user);
        }
      };
      const error = await rejectionOf(client().fetchIdentity(ACCESS_TOKEN));
      expect(error.name).toBe('ServiceUnavailableError');
      expect(error.message).toMatch(
        /^Bitbucket Cloud failed: GET \/2\.0\/user\/emails/,
      );
      expect(error.message).toMatch(text);
      expect(error.message).not.toContain(ACCESS_TOKEN);
      expect(logger.warn).toHaveBeenCalledWith(
        expect.stringContaining('GET /2.0/user/emails'),
        expect.objectContaining({ path: '/2.0/user/emails' }),
      );
      expect(JSON.stringify(logger.warn.mock.calls)).not.toContain(
        ACCESS_TOKEN,
      );
    },
  );
});
