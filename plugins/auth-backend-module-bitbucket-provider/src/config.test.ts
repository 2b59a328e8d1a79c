import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  readBitbucketProviderConfig,
  validateBitbucketProvidersConfig,
} from './config';

const consumer = { clientId: 'key', clientSecret: 'secret' };
const read = (config: object) =>
  readBitbucketProviderConfig(
    new ConfigReader({ ...consumer, ...config }),
    'development',
  );

describe('readBitbucketProviderConfig', () => {
  it('fills in Bitbucket Cloud and the defaults', () => {
    expect(read({})).toEqual({
      ...consumer,
      authorizationUrl: 'https://bitbucket.org/site/oauth2/authorize',
      tokenUrl: 'https://bitbucket.org/site/oauth2/access_token',
      apiBaseUrl: 'https://api.bitbucket.org/2.0',
      timeoutMs: 10_000,
      refreshReuseWindowMs: 30_000,
      workspaces: undefined,
    });
  });

  it.each(['authorizationUrl', 'tokenUrl', 'apiBaseUrl'])(
    'refuses a %s that is not an http(s) URL, naming the key',
    name => {
      expect(() => read({ [name]: 'bitbucket.org/2.0' })).toThrow(
        `auth.providers.bitbucket.development.${name} must be an http(s) URL, got "bitbucket.org/2.0"`,
      );
    },
  );

  it('refuses a workspace that is not a slug, naming the key', () => {
    expect(() => read({ workspaces: ['acme', 'bitbucket.org/acme'] })).toThrow(
      'auth.providers.bitbucket.development.workspaces[1] must be a workspace slug as in https://bitbucket.org/<slug>',
    );
  });

  it('reads durations as milliseconds or as durations, and workspaces in lower case', () => {
    expect(
      read({
        timeout: 2500,
        refreshReuseWindow: '1m',
        workspaces: ['Acme'],
        apiBaseUrl: 'http://127.0.0.1:1/2.0/',
      }),
    ).toMatchObject({
      timeoutMs: 2500,
      refreshReuseWindowMs: 60_000,
      workspaces: ['acme'],
      apiBaseUrl: 'http://127.0.0.1:1/2.0',
    });
    expect(read({ refreshReuseWindow: 0 }).refreshReuseWindowMs).toBe(0);
  });

  it.each([
    [
      { timeout: 0 },
      'Invalid timeout 0: auth.providers.bitbucket.development.timeout must be a positive number of milliseconds',
    ],
    [
      { refreshReuseWindow: -1 },
      'Invalid refreshReuseWindow -1: auth.providers.bitbucket.development.refreshReuseWindow must be a non-negative number of milliseconds',
    ],
    [
      { workspaceOwnership: true },
      'auth.providers.bitbucket.development.workspaceOwnership was removed',
    ],
  ])('refuses %j, naming the key', (config, message) => {
    expect(() => read(config)).toThrow(message);
  });
});

describe('validateBitbucketProvidersConfig', () => {
  it('warns about resolvers that let one account sign in as another', () => {
    const logger = mockServices.logger.mock();
    validateBitbucketProvidersConfig(
      new ConfigReader({
        auth: {
          providers: {
            bitbucket: {
              development: {
                ...consumer,
                signIn: {
                  resolvers: [
                    { resolver: 'emailLocalPartMatchingUserEntityName' },
                    {
                      resolver: 'emailLocalPartMatchingUserEntityName',
                      allowedDomains: ['example.com'],
                    },
                    { resolver: 'usernameMatchingUserEntityAnnotation' },
                    { resolver: 'userIdMatchingUserEntityAnnotation' },
                  ],
                },
              },
            },
          },
        },
      }),
      logger,
    );
    expect(logger.warn.mock.calls.map(([message]) => message)).toEqual([
      expect.stringMatching(
        /^emailLocalPartMatchingUserEntityName without allowedDomains signs in anyone/,
      ),
      expect.stringMatching(
        /^usernameMatchingUserEntityAnnotation matches the Bitbucket username, which its owner can change/,
      ),
    ]);
  });

  it('stops start-up on a resolver name that is not one of the four', () => {
    const config = new ConfigReader({
      auth: {
        providers: {
          bitbucket: {
            development: {
              ...consumer,
              signIn: {
                resolvers: [{ resolver: 'emailMatchingUserEntityEmail' }],
              },
            },
          },
        },
      },
    });
    expect(() =>
      validateBitbucketProvidersConfig(config, mockServices.logger.mock()),
    ).toThrow(
      "auth.providers.bitbucket.development.signIn.resolvers[0].resolver 'emailMatchingUserEntityEmail' is not a Bitbucket sign-in resolver; use one of emailMatchingUserEntityProfileEmail, emailLocalPartMatchingUserEntityName, userIdMatchingUserEntityAnnotation, usernameMatchingUserEntityAnnotation",
    );
  });
});
