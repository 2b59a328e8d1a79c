import {
  bitbucketAuthApiRef as coreBitbucketAuthApiRef,
  configApiRef,
  discoveryApiRef,
  oauthRequestApiRef,
} from '@backstage/core-plugin-api';
import { OAuthRequestManager } from '@backstage/core-app-api';
import { mockApis } from '@backstage/test-utils';
import {
  bitbucketAuthApiFactory,
  bitbucketAuthApiRef,
  bitbucketAuthProvider,
} from './apis';
import { backendAuthUrl, fakeBrowser } from '@bitbucket-signin/test-kit';

function createApi(config: object = {}) {
  return bitbucketAuthApiFactory.factory({
    configApi: mockApis.config({ data: config }),
    discoveryApi: {
      getBaseUrl: async (pluginId: string) =>
        `http://backend.test/api/${pluginId}`,
    },
    oauthRequestApi: new OAuthRequestManager(),
  });
}

describe('bitbucketAuthApiRef', () => {
  it('is the ref Backstage apps already wire for Bitbucket', () => {
    expect(bitbucketAuthApiRef).toBe(coreBitbucketAuthApiRef);
    expect(bitbucketAuthApiRef.id).toBe('core.auth.bitbucket');
  });
});

describe('bitbucketAuthApiFactory', () => {
  let browser: ReturnType<typeof fakeBrowser>;

  beforeEach(() => {
    browser = fakeBrowser();
  });

  afterEach(() => {
    browser.restore();
  });

  it('provides bitbucketAuthApiRef from discovery, OAuth requests and config', () => {
    expect(bitbucketAuthApiFactory.api).toBe(bitbucketAuthApiRef);
    expect(bitbucketAuthApiFactory.deps).toEqual({
      discoveryApi: discoveryApiRef,
      oauthRequestApi: oauthRequestApiRef,
      configApi: configApiRef,
    });
  });

  it('signs in through the backend provider "bitbucket" with the scopes account and email', async () => {
    const api = createApi({ auth: { environment: 'production' } });

    const identity = await api.getBackstageIdentity({ instantPopup: true });

    // first a silent refresh through the refresh cookie...
    expect(browser.fetchedUrls).toEqual([
      `${backendAuthUrl}/bitbucket/refresh?optional&scope=account%20email&env=production`,
    ]);
    // ...then the popup
    expect(browser.popupUrls).toHaveLength(1);
    const popupUrl = new URL(browser.popupUrls[0]);
    expect(`${popupUrl.origin}${popupUrl.pathname}`).toBe(
      `${backendAuthUrl}/bitbucket/start`,
    );
    expect(Object.fromEntries(popupUrl.searchParams)).toEqual({
      scope: 'account email',
      origin: window.location.origin,
      flow: 'popup',
      env: 'production',
    });

    expect(identity?.identity.userEntityRef).toBe('user:default/alice');
    expect(await api.getAccessToken()).toBe('bitbucket-access-token');
    expect(await api.getProfile()).toEqual({
      email: 'alice@example.com',
      displayName: 'Alice Anderson',
      picture: 'http://backend.test/avatar.png',
    });
    // the session is reused: no second popup
    expect(browser.popupUrls).toHaveLength(1);
  });

  it('uses the development environment when auth.environment is not set', async () => {
    const api = createApi();
    await api.getAccessToken(undefined, { instantPopup: true });
    expect(new URL(browser.popupUrls[0]).searchParams.get('env')).toBe(
      'development',
    );
  });

  it('adds scopes a plugin asks for to the default ones', async () => {
    const api = createApi();
    await api.getAccessToken(['repository'], { instantPopup: true });
    expect(
      new URL(browser.popupUrls[0]).searchParams.get('scope')!.split(' '),
    ).toEqual(expect.arrayContaining(['account', 'email', 'repository']));
  });
});

describe('bitbucketAuthProvider', () => {
  it('names the backend provider and has a real icon', () => {
    expect(bitbucketAuthProvider.id).toBe('bitbucket');
    expect(bitbucketAuthProvider.title).toBe('Bitbucket');
    expect(bitbucketAuthProvider.icon).toBeDefined();
  });
});
