import { AppConfig, ConfigReader } from '@backstage/config';
import { readOrgProviderConfigs } from './config';

function read(providers: AppConfig['data']) {
  return readOrgProviderConfigs(
    new ConfigReader({
      catalog: { providers: { bitbucketCloudOrg: providers } },
    }),
  );
}

describe('readOrgProviderConfigs', () => {
  it('reads one provider per key, with Bitbucket Cloud and a 30-minute schedule by default', () => {
    expect(
      read({
        acme: { workspace: 'acme', clientId: 'id', clientSecret: 'secret' },
        other: {
          workspace: 'other-co',
          clientId: 'id2',
          clientSecret: 'secret2',
          tokenUrl: 'http://127.0.0.1:7010/site/oauth2/access_token',
          apiBaseUrl: 'http://127.0.0.1:7010/2.0/',
          schedule: { frequency: { minutes: 5 }, timeout: { seconds: 50 } },
        },
      }),
    ).toEqual([
      {
        id: 'acme',
        workspace: 'acme',
        clientId: 'id',
        clientSecret: 'secret',
        tokenUrl: 'https://bitbucket.org/site/oauth2/access_token',
        apiBaseUrl: 'https://api.bitbucket.org/2.0',
        schedule: { frequency: { minutes: 30 }, timeout: { minutes: 3 } },
      },
      {
        id: 'other',
        workspace: 'other-co',
        clientId: 'id2',
        clientSecret: 'secret2',
        tokenUrl: 'http://127.0.0.1:7010/site/oauth2/access_token',
        apiBaseUrl: 'http://127.0.0.1:7010/2.0',
        schedule: { frequency: { minutes: 5 }, timeout: { seconds: 50 } },
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
    expect(() => read({ acme: { clientId: 'id', clientSecret: 's' } })).toThrow(
      "Missing required config value at 'catalog.providers.bitbucketCloudOrg.acme.workspace'",
    );
  });

  it('refuses a URL it could not call', () => {
    expect(() =>
      read({
        acme: {
          workspace: 'acme',
          clientId: 'id',
          clientSecret: 's',
          apiBaseUrl: '127.0.0.1:7010/2.0',
        },
      }),
    ).toThrow(
      'catalog.providers.bitbucketCloudOrg.acme.apiBaseUrl must be an http(s) URL, got "127.0.0.1:7010/2.0"',
    );
  });

  it('refuses a workspace that is not a slug, such as a URL', () => {
    expect(() =>
      read({
        acme: {
          workspace: 'https://bitbucket.org/acme',
          clientId: 'id',
          clientSecret: 's',
        },
      }),
    ).toThrow(
      'catalog.providers.bitbucketCloudOrg.acme.workspace must be a workspace slug as in https://bitbucket.org/<slug>',
    );
  });
});
