import { startLoopbackServer } from '@bitbucket-signin/test-kit';
import http from 'node:http';
import { BitbucketTokenEndpoint } from './BitbucketTokenEndpoint';

describe('BitbucketTokenEndpoint', () => {
  let answer: { status: number; body: unknown };
  let seen: { authorization?: string; form: URLSearchParams }[];
  let server: Awaited<ReturnType<typeof startLoopbackServer>>;

  beforeAll(async () => {
    server = await startLoopbackServer(
      async (req: http.IncomingMessage, res: http.ServerResponse) => {
        let body = '';
        for await (const chunk of req) body += chunk;
        seen.push({
          authorization: req.headers.authorization,
          form: new URLSearchParams(body),
        });
        res
          .writeHead(answer.status, { 'content-type': 'application/json' })
          .end(JSON.stringify(answer.body));
      },
    );
  });
  afterAll(() => server.stop());
  beforeEach(() => {
    seen = [];
  });

  const endpoint = () =>
    new BitbucketTokenEndpoint({
      tokenUrl: `${server.url}/site/oauth2/access_token`,
      clientId: 'key',
      clientSecret: 's3cret',
      configKey: 'auth.providers.bitbucket.development',
      deadlineConfigKey: 'auth.providers.bitbucket.development.timeout',
    });
  const signal = () => AbortSignal.timeout(5000);

  it('authenticates with HTTP Basic and reads the scope the OAuth spec names', async () => {
    answer = {
      status: 200,
      body: {
        access_token: 'a',
        refresh_token: 'r2',
        scope: 'account email',
        expires_in: 7200,
        token_type: 'bearer',
      },
    };
    await expect(endpoint().refresh('r1', signal())).resolves.toEqual({
      accessToken: 'a',
      refreshToken: 'r2',
      scope: 'account email',
      expiresInSeconds: 7200,
      tokenType: 'bearer',
    });
    expect(seen[0].authorization).toBe(
      `Basic ${Buffer.from('key:s3cret').toString('base64')}`,
    );
    expect(Object.fromEntries(seen[0].form)).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'r1',
    });
  });

  it('says why a refresh token can be refused, without the token', async () => {
    answer = {
      status: 400,
      body: {
        error: 'invalid_grant',
        error_description: 'Invalid refresh_token',
      },
    };
    const error: Error = await endpoint()
      .refresh('r-secret', signal())
      .catch(e => e);
    expect(error.name).toBe('AuthenticationError');
    expect(error.message).toMatch(
      /already used .* went unused for 3 months, or access was revoked/,
    );
    expect(error.message).not.toContain('r-secret');
  });

  it('names the config keys when the consumer credentials are rejected', async () => {
    answer = { status: 401, body: { error: 'invalid_client' } };
    const error: Error = await endpoint()
      .clientCredentials(signal())
      .catch(e => e);
    expect(error.message).toBe(
      "Bitbucket Cloud rejected the OAuth consumer credentials (invalid_client). Check auth.providers.bitbucket.development.clientId (the consumer's Key) and auth.providers.bitbucket.development.clientSecret (its Secret)",
    );
    expect(error.message).not.toContain('s3cret');
  });

  it('names the callback URL only where the grant carries one', async () => {
    answer = { status: 400, body: { error: 'invalid_request' } };
    const refused = (grant: Promise<unknown>) =>
      grant.then(
        () => undefined,
        (e: Error) => e.message,
      );
    expect(await refused(endpoint().clientCredentials(signal()))).toBe(
      'Bitbucket Cloud refused POST /site/oauth2/access_token (client_credentials) (invalid_request). Check the OAuth consumer of auth.providers.bitbucket.development.clientId; retrying will not help',
    );
    expect(
      await refused(endpoint().exchangeCode('c', 'http://cb', signal())),
    ).toContain('auth.providers.bitbucket.development.callbackUrl');
  });

  it('takes a client-credentials answer without a refresh token', async () => {
    answer = { status: 200, body: { access_token: 'app', expires_in: 7200 } };
    await expect(endpoint().clientCredentials(signal())).resolves.toMatchObject(
      {
        accessToken: 'app',
        refreshToken: undefined,
      },
    );
  });

  it('words an answer without an access token as unexpected', async () => {
    answer = { status: 200, body: { scopes: 'account' } };
    await expect(
      endpoint().exchangeCode('c', 'http://cb', signal()),
    ).rejects.toThrow(
      'Bitbucket Cloud answered POST /site/oauth2/access_token (authorization_code) unexpectedly: the answer has no access_token',
    );
  });
});
