import { mockServices } from '@backstage/backend-test-utils';
import { BitbucketTokenEndpoint } from './tokenEndpoint';
import { startLoopbackServer } from '@bitbucket-signin/test-kit';

const CLIENT_SECRET = 'consumer-secret-that-must-never-leak';

describe('BitbucketTokenEndpoint', () => {
  let server: Awaited<ReturnType<typeof startLoopbackServer>>;
  let tokenUrl: string;
  let answer: { status: number; body: string };
  let received: Array<{
    method?: string;
    type?: string;
    form: URLSearchParams;
  }>;
  const logger = mockServices.logger.mock();

  beforeAll(async () => {
    server = await startLoopbackServer((req, res) => {
      let body = '';
      req.on('data', chunk => (body += chunk));
      req.on('end', () => {
        received.push({
          method: req.method,
          type: req.headers['content-type'],
          form: new URLSearchParams(body),
        });
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.body);
      });
    });
    tokenUrl = `${server.url}/site/oauth2/access_token`;
  });

  afterAll(() => server.stop());

  beforeEach(() => {
    received = [];
    jest.clearAllMocks();
  });

  const endpoint = () =>
    new BitbucketTokenEndpoint({
      tokenUrl,
      clientId: 'consumer-key',
      clientSecret: CLIENT_SECRET,
      timeoutMs: 2000,
      logger,
    });

  it('exchanges a code as a form with the client credentials and the callback URL', async () => {
    answer = {
      status: 200,
      body: JSON.stringify({
        access_token: 'access',
        refresh_token: 'refresh',
        scopes: 'account email',
        expires_in: 7200,
        token_type: 'bearer',
      }),
    };
    const tokens = await endpoint().exchangeCode(
      'the code',
      'http://localhost:7007/api/auth/bitbucket/handler/frame',
    );
    expect(tokens).toEqual({
      accessToken: 'access',
      refreshToken: 'refresh',
      params: {
        scopes: 'account email',
        expires_in: 7200,
        token_type: 'bearer',
      },
    });
    expect(received).toHaveLength(1);
    expect(received[0].method).toBe('POST');
    expect(received[0].type).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(received[0].form)).toEqual({
      client_id: 'consumer-key',
      client_secret: CLIENT_SECRET,
      grant_type: 'authorization_code',
      code: 'the code',
      redirect_uri: 'http://localhost:7007/api/auth/bitbucket/handler/frame',
    });
  });

  it('sends the refresh grant and leaves the refresh token out when none is rotated in', async () => {
    answer = {
      status: 200,
      body: JSON.stringify({ access_token: 'new-access', expires_in: 7200 }),
    };
    const tokens = await endpoint().refresh('old-refresh');
    expect(tokens.refreshToken).toBeUndefined();
    expect(received[0].form.get('grant_type')).toBe('refresh_token');
    expect(received[0].form.get('refresh_token')).toBe('old-refresh');
  });

  it.each([
    [
      'an OAuth error',
      {
        status: 400,
        body: '{"error":"invalid_grant","error_description":"Bad code"}',
      },
      /did not accept the authorization code \(invalid_grant: Bad code\)/,
    ],
    [
      'a 200 without an access token',
      { status: 200, body: '<html>maintenance</html>' },
      /POST \/site\/oauth2\/access_token \(authorization_code\) answered without an access token/,
    ],
    [
      'a server error',
      { status: 503, body: 'unavailable' },
      /answered HTTP 503/,
    ],
    [
      'an answer over 64 KiB',
      {
        status: 200,
        body: JSON.stringify({ access_token: 'x'.repeat(70 * 1024) }),
      },
      /\(authorization_code\) answered with more than 65536 bytes/,
    ],
  ])(
    'words %s for the admin, without the secret',
    async (_, failure, message) => {
      answer = failure;
      const error = await endpoint()
        .exchangeCode('code', 'http://localhost/cb')
        .catch(e => e);
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain(CLIENT_SECRET);
      expect(JSON.stringify(logger.warn.mock.calls)).not.toContain(
        CLIENT_SECRET,
      );
      expect(logger.warn).toHaveBeenCalledWith(
        expect.stringContaining('Bitbucket Cloud token request failed'),
        expect.objectContaining({ path: '/site/oauth2/access_token' }),
      );
    },
  );
});
