import { AppConfig, ConfigReader } from '@backstage/config';
import { readOrgProviderConfigs } from './config';

function read(providers: AppConfig['data']) {
  return readOrgProviderConfigs(
    new ConfigReader({
      catalog: { providers: { bitbucketCloudOrg: providers } },
    }),
  );
}

const consumer = { clientId: 'id', clientSecret: 'secret' };

describe('readOrgProviderConfigs', () => {
  it('reads one provider per key, with Bitbucket Cloud and a 30-minute schedule by default', () => {
    expect(
      read({
        acme: { workspace: 'acme', ...consumer },
        other: {
          workspaces: ['other-co', 'beta'],
          apiToken: { email: 'svc@example.com', token: 'api-token' },
          tokenUrl: 'http://127.0.0.1:7010/site/oauth2/access_token',
          apiBaseUrl: 'http://127.0.0.1:7010/2.0/',
          schedule: { frequency: { minutes: 5 }, timeout: { seconds: 50 } },
          limits: {
            maxMembers: 500,
            maxBytes: 1_000_000,
            runTimeout: { seconds: 40 },
          },
        },
      }),
    ).toEqual([
      {
        id: 'acme',
        configKey: 'catalog.providers.bitbucketCloudOrg.acme',
        workspaces: ['acme'],
        credential: { clientId: 'id', clientSecret: 'secret' },
        tokenUrl: 'https://bitbucket.org/site/oauth2/access_token',
        apiBaseUrl: 'https://api.bitbucket.org/2.0',
        schedule: { frequency: { minutes: 30 }, timeout: { minutes: 3 } },
        limits: {
          maxMembers: 100_000,
          maxBytes: 256 * 1024 * 1024,
          // two thirds of the schedule's timeout
          runTimeoutMs: 120_000,
        },
      },
      {
        id: 'other',
        configKey: 'catalog.providers.bitbucketCloudOrg.other',
        workspaces: ['other-co', 'beta'],
        credential: { email: 'svc@example.com', token: 'api-token' },
        tokenUrl: 'http://127.0.0.1:7010/site/oauth2/access_token',
        apiBaseUrl: 'http://127.0.0.1:7010/2.0/',
        schedule: expect.objectContaining({
          frequency: { minutes: 5 },
          timeout: { seconds: 50 },
        }),
        limits: { maxMembers: 500, maxBytes: 1_000_000, runTimeoutMs: 40_000 },
      },
    ]);
  });

  it('has no providers without the key', () => {
    expect(readOrgProviderConfigs(new ConfigReader({}))).toEqual([]);
  });

  it('names the missing key', () => {
    expect(() => read({ acme: { workspace: 'acme', clientId: 'id' } })).toThrow(
      "Missing required config value at 'catalog.providers.bitbucketCloudOrg.acme.clientSecret'",
    );
    expect(() =>
      read({ acme: { workspace: 'acme', apiToken: { token: 't' } } }),
    ).toThrow(
      "Missing required config value at 'catalog.providers.bitbucketCloudOrg.acme.apiToken.email'",
    );
  });

  it.each([
    ['neither', {}],
    [
      'both',
      { ...consumer, apiToken: { email: 'svc@example.com', token: 't' } },
    ],
  ])('refuses %s of the two credentials, naming the keys', (_, credential) => {
    expect(() => read({ acme: { workspace: 'acme', ...credential } })).toThrow(
      'catalog.providers.bitbucketCloudOrg.acme needs exactly one credential: clientId and clientSecret (an OAuth consumer of the workspace), or apiToken.email and apiToken.token (an Atlassian API token)',
    );
  });

  it.each([
    ['neither', {}],
    ['both', { workspace: 'acme', workspaces: ['beta'] }],
    ['an empty list', { workspaces: [] }],
  ])(
    'refuses %s of workspace and workspaces, naming the keys',
    (_, workspaces) => {
      expect(() => read({ acme: { ...consumer, ...workspaces } })).toThrow(
        'catalog.providers.bitbucketCloudOrg.acme needs exactly one of workspace (a slug) and workspaces (a list of slugs)',
      );
    },
  );

  it('refuses a URL it could not call', () => {
    expect(() =>
      read({
        acme: {
          workspace: 'acme',
          ...consumer,
          apiBaseUrl: '127.0.0.1:7010/2.0',
        },
      }),
    ).toThrow(
      'catalog.providers.bitbucketCloudOrg.acme.apiBaseUrl must be an http(s) URL, got "127.0.0.1:7010/2.0"',
    );
  });

  it('refuses a workspace that is not a slug, such as a URL', () => {
    expect(() =>
      read({ acme: { workspace: 'https://bitbucket.org/acme', ...consumer } }),
    ).toThrow(
      'catalog.providers.bitbucketCloudOrg.acme.workspace must be a workspace slug as in https://bitbucket.org/<slug>',
    );
    expect(() =>
      read({ acme: { workspaces: ['acme', 'Beta'], ...consumer } }),
    ).toThrow(
      'catalog.providers.bitbucketCloudOrg.acme.workspaces[1] must be a workspace slug',
    );
  });

  it("refuses a workspace whose group would be another's owners group, naming both keys", () => {
    expect(() =>
      read({ acme: { workspaces: ['acme', 'acme-owners'], ...consumer } }),
    ).toThrow(
      'catalog.providers.bitbucketCloudOrg.acme.workspaces[1] (acme-owners) and catalog.providers.bitbucketCloudOrg.acme.workspaces[0] (acme) would both make Group acme-owners; a workspace group and an owners group must not share a name',
    );
    expect(() =>
      read({
        beta: { workspace: 'acme-owners', ...consumer },
        acme: { workspace: 'acme', ...consumer },
      }),
    ).toThrow(
      'catalog.providers.bitbucketCloudOrg.acme.workspace (acme) and catalog.providers.bitbucketCloudOrg.beta.workspace (acme-owners) would both make Group acme-owners',
    );
  });

  it('refuses a workspace listed twice, where its members would get two Users each', () => {
    expect(() =>
      read({
        one: { workspace: 'acme', ...consumer },
        two: { workspaces: ['beta', 'acme'], ...consumer },
      }),
    ).toThrow(
      'catalog.providers.bitbucketCloudOrg.two.workspaces[1] (acme) and catalog.providers.bitbucketCloudOrg.one.workspace (acme) would both make Group acme',
    );
  });

  it('refuses a run deadline that the schedule would pass first, naming both keys', () => {
    expect(() =>
      read({
        acme: {
          workspace: 'acme',
          ...consumer,
          schedule: { frequency: { minutes: 5 }, timeout: { minutes: 1 } },
          limits: { runTimeout: { minutes: 1 } },
        },
      }),
    ).toThrow(
      'catalog.providers.bitbucketCloudOrg.acme.limits.runTimeout must be shorter than catalog.providers.bitbucketCloudOrg.acme.schedule.timeout',
    );
  });

  it.each([0, -1, 1.5])('refuses a limit of %s', value => {
    expect(() =>
      read({
        acme: { workspace: 'acme', ...consumer, limits: { maxMembers: value } },
      }),
    ).toThrow(
      `catalog.providers.bitbucketCloudOrg.acme.limits.maxMembers must be a positive whole number, got ${value}`,
    );
  });
});
