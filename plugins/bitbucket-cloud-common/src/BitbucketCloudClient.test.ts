import { startLoopbackServer } from '@bitbucket-signin/test-kit';
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { z } from 'zod/v3';
import {
  BitbucketCloudClient,
  BitbucketLimitReachedError,
  BitbucketRequestOutcome,
} from './BitbucketCloudClient';
import { bitbucketEmailSchema, bitbucketUserSchema } from './answers';

const DEADLINE_KEY = 'test.timeout';
const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: Error & { limit?: string }) => error,
  );
type Route = (req: http.IncomingMessage, res: http.ServerResponse) => void;

describe('BitbucketCloudClient', () => {
  let routes: Record<string, Route>;
  let server: Awaited<ReturnType<typeof startLoopbackServer>>;
  let outcomes: BitbucketRequestOutcome[];

  beforeAll(async () => {
    server = await startLoopbackServer((req, res) => {
      const route = routes[new URL(req.url!, 'http://x').pathname];
      if (route) {
        route(req, res);
      } else {
        res.writeHead(599).end();
      }
    });
  });
  afterAll(() => server.stop());
  beforeEach(() => {
    routes = {};
    outcomes = [];
  });

  const json =
    (status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}) =>
    (_req: http.IncomingMessage, res: http.ServerResponse) =>
      res
        .writeHead(status, { 'content-type': 'application/json', ...headers })
        .end(JSON.stringify(body));
  const client = (maxAnswerBytes?: number) =>
    new BitbucketCloudClient({
      apiBaseUrl: `${server.url}/2.0`,
      deadlineConfigKey: DEADLINE_KEY,
      maxAnswerBytes,
      onRequest: outcome => outcomes.push(outcome),
    });
  const get = <T>(
    path: string,
    schema: z.ZodType<T, z.ZodTypeDef, unknown>,
    signal = AbortSignal.timeout(5000),
  ) =>
    client().get(path, {
      authorization: 'Bearer t',
      signal,
      schema,
      endpoint: '/template',
    });

  it('returns an answer checked against its schema, unknown fields dropped', async () => {
    routes['/2.0/user'] = json(200, { uuid: '{u}', nickname: 'n', extra: 'x' });
    await expect(get('/user', bitbucketUserSchema)).resolves.toEqual({
      uuid: '{u}',
      nickname: 'n',
    });
    expect(outcomes).toEqual([
      {
        endpoint: '/template',
        status: 200,
        durationSeconds: expect.any(Number),
      },
    ]);
  });

  it.each([
    ['a null entry', { values: [null] }, 'values.0'],
    ['values that is not a list', { values: 'nope' }, 'values'],
    ['an entry of the wrong shape', { values: [{ email: 5 }] }, 'email'],
  ])(
    'words %s as an unexpected answer, not a TypeError',
    async (_, body, where) => {
      routes['/2.0/user/emails'] = json(200, body);
      await expect(
        client().getAllPages('/user/emails', {
          authorization: 'Bearer t',
          signal: AbortSignal.timeout(5000),
          schema: bitbucketEmailSchema,
        }),
      ).rejects.toMatchObject({
        name: 'ServiceUnavailableError',
        message: expect.stringMatching(
          new RegExp(
            `^Bitbucket Cloud answered GET /2.0/user/emails unexpectedly: .*${where}`,
          ),
        ),
      });
    },
  );

  it('words a removed endpoint (410) as one, with no advice to retry', async () => {
    routes['/2.0/user/permissions/workspaces'] = json(410, {
      type: 'error',
      error: { message: 'CHANGE-2770 - Functionality has been deprecated' },
    });
    const error = await rejection(
      get('/user/permissions/workspaces', z.unknown()),
    );
    expect(error.name).toBe('NotImplementedError');
    expect(error.message).toBe(
      'Bitbucket Cloud refused GET /2.0/user/permissions/workspaces (HTTP 410: CHANGE-2770 - Functionality has been deprecated): Bitbucket Cloud removed this endpoint, which this version of the Bitbucket plugins calls. Upgrade the Bitbucket plugins (@bitbucket-signin/*); retrying will not help',
    );
  });

  it.each([
    [400, 'InputError'],
    [401, 'AuthenticationError'],
    [403, 'NotAllowedError'],
    [404, 'NotFoundError'],
    [410, 'NotImplementedError'],
  ])('never words HTTP %i as transient', async (status, name) => {
    routes['/2.0/x'] = json(status, { type: 'error', error: { message: 'm' } });
    const error = await rejection(get('/x', z.unknown()));
    expect(error.name).toBe(name);
    expect(error.message).not.toMatch(/try again|in a moment/);
  });

  it('names the consumer permission a 403 says is missing', async () => {
    routes['/2.0/user/emails'] = json(403, {
      type: 'error',
      error: {
        message: 'Your credentials lack one or more required privilege scopes.',
        detail: { required: ['email'], granted: ['account'] },
      },
    });
    await expect(get('/user/emails', z.unknown())).rejects.toThrow(
      'the credentials lack the OAuth consumer permission "Account: Email" (scope email)',
    );
  });

  it("keeps what Bitbucket's answer says short in a message", async () => {
    const long = 'x'.repeat(5000);
    routes['/2.0/scopes'] = json(403, {
      type: 'error',
      error: { message: 'm', detail: { required: Array(100).fill(long) } },
    });
    routes['/2.0/enum'] = json(200, { permission: long });
    routes['/2.0/busy'] = json(429, {}, { 'retry-after': long });
    for (const [path, schema] of [
      ['/scopes', z.unknown()],
      ['/enum', z.object({ permission: z.enum(['owner', 'member']) })],
      ['/busy', z.unknown()],
    ] as const) {
      const error = await rejection(get(path, schema));
      expect(error.message.length).toBeLessThan(1000);
    }
  });

  it('answers undefined for a 404 where not found is an answer', async () => {
    routes['/2.0/user/workspaces/acme/permission'] = json(404, {
      type: 'error',
      error: { message: 'Not found' },
    });
    await expect(
      client().getIfFound('/user/workspaces/acme/permission', {
        authorization: 'Bearer t',
        signal: AbortSignal.timeout(5000),
        schema: z.unknown(),
      }),
    ).resolves.toBeUndefined();
  });

  it('tries a 5xx once more, and then says Bitbucket failed', async () => {
    let calls = 0;
    routes['/2.0/user'] = (req, res) => {
      calls++;
      json(502, {})(req, res);
    };
    await expect(get('/user', z.unknown())).rejects.toThrow(
      'Bitbucket Cloud failed: GET /2.0/user answered HTTP 502. Nothing is wrong with your account or configuration; try again in a moment',
    );
    expect(calls).toBe(2);
  });

  it('follows next links on the API host and refuses one that leaves it', async () => {
    routes['/2.0/list'] = json(200, {
      values: [1],
      next: `${server.url}/2.0/list2?page=2`,
    });
    routes['/2.0/list2'] = json(200, {
      values: [2],
      next: `${server.url}/2.0/../steal`,
    });
    await expect(
      client().getAllPages('/list', {
        authorization: 'Bearer t',
        signal: AbortSignal.timeout(5000),
        schema: z.number(),
      }),
    ).rejects.toThrow(/GET \/2.0\/list2 unexpectedly: its next link leaves/);
  });

  it.each([
    ['maxPages', { maxPages: 3 }],
    ['maxItems', { maxItems: 25 }],
    ['maxBytes', { maxBytes: 200 }],
  ] as const)('stops an endless list at %s', async (limit, limits) => {
    let pages = 0;
    routes['/2.0/endless'] = (req, res) => {
      pages++;
      json(200, {
        values: Array.from({ length: 10 }, (_, i) => i),
        next: `${server.url}/2.0/endless?page=${pages + 1}`,
      })(req, res);
    };
    const error = await rejection(
      client().getAllPages('/endless', {
        authorization: 'Bearer t',
        signal: AbortSignal.timeout(5000),
        schema: z.number(),
        limits,
      }),
    );
    expect(error).toBeInstanceOf(BitbucketLimitReachedError);
    expect(error.limit).toBe(limit);
    expect(pages).toBeLessThanOrEqual(3);
  });

  it('counts decompressed bytes against the answer cap', async () => {
    const big = gzipSync(JSON.stringify({ values: 'x'.repeat(200_000) }));
    expect(big.length).toBeLessThan(10_000);
    routes['/2.0/bomb'] = (_req, res) =>
      res
        .writeHead(200, {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
        })
        .end(big);
    await expect(
      client(100_000).get('/bomb', {
        authorization: 'Bearer t',
        signal: AbortSignal.timeout(5000),
        schema: z.unknown(),
      }),
    ).rejects.toThrow('answered with more than 100000 bytes');
  });

  it('ends a slow-drip body at the deadline and names the key that sets it', async () => {
    const timers: NodeJS.Timeout[] = [];
    routes['/2.0/drip'] = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"values":[');
      timers.push(setInterval(() => res.write(' '), 50));
    };
    const started = Date.now();
    await expect(
      get('/drip', z.unknown(), AbortSignal.timeout(300)),
    ).rejects.toThrow(`GET /2.0/drip did not answer within ${DEADLINE_KEY}`);
    expect(Date.now() - started).toBeLessThan(3000);
    timers.forEach(clearInterval);
  });

  it('never names the query, which may carry anything, in a message', async () => {
    routes['/2.0/user'] = json(403, {
      type: 'error',
      error: { message: 'no' },
    });
    await expect(get('/user?secret=abc', z.unknown())).rejects.toThrow(
      /^Bitbucket Cloud refused GET \/2.0\/user \(HTTP 403: no\)/,
    );
  });
});
