import { useEffect, useState } from 'react';
import {
  ApiBlueprint,
  PageBlueprint,
  createFrontendPlugin,
  identityApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import { createApp } from '@backstage/frontend-defaults';
import { ConfigReader } from '@backstage/config';
import { SignInPageBlueprint } from '@backstage/plugin-app-react';
import { createExtensionTester } from '@backstage/frontend-test-utils';
import { fireEvent, render, screen } from '@testing-library/react';
import {
  BitbucketSignInPage,
  bitbucketAuthApi,
  bitbucketAuthModule,
  bitbucketSignInPage,
  bitbucketSignInPageModule,
} from './alpha';
import { bitbucketAuthApiFactory, bitbucketAuthApiRef } from './apis';
import { fakeBrowser } from '@bitbucket-signin/test-kit';

const config = {
  app: { title: 'NFS Backstage', baseUrl: 'http://localhost' },
  backend: { baseUrl: 'http://backend.test' },
  auth: { environment: 'production' },
};

function WhoAmI() {
  const identityApi = useApi(identityApiRef);
  const [entityRef, setEntityRef] = useState<string>();
  useEffect(() => {
    identityApi
      .getBackstageIdentity()
      .then(identity => setEntityRef(identity.userEntityRef));
  }, [identityApi]);
  return <div>Signed in as {entityRef ?? '…'}</div>;
}

const homePage = PageBlueprint.make({
  params: { path: '/', loader: async () => <WhoAmI /> },
});

describe('new frontend system', () => {
  let browser: ReturnType<typeof fakeBrowser> | undefined;

  afterEach(() => {
    browser?.restore();
    browser = undefined;
  });

  it('provides bitbucketAuthApiRef through an API extension', () => {
    expect(
      createExtensionTester(bitbucketAuthApi).get(
        ApiBlueprint.dataRefs.factory,
      ),
    ).toBe(bitbucketAuthApiFactory);
    expect(
      createExtensionTester(bitbucketAuthApi).get(ApiBlueprint.dataRefs.factory)
        .api,
    ).toBe(bitbucketAuthApiRef);
  });

  it('provides a sign-in page extension', async () => {
    const Component = createExtensionTester(bitbucketSignInPage).get(
      SignInPageBlueprint.dataRefs.component,
    );
    expect(Component).toBeDefined();
  });

  it('installs as app modules', () => {
    expect(bitbucketAuthModule.pluginId).toBe('app');
    expect(bitbucketSignInPageModule.pluginId).toBe('app');
  });

  it('shows the Bitbucket sign-in page and signs in with this package’s API', async () => {
    browser = fakeBrowser();
    // a whole app as createApp builds it: the test renderer has no sign-in page
    const app = createApp({
      features: [
        createFrontendPlugin({ pluginId: 'home', extensions: [homePage] }),
        bitbucketSignInPageModule,
      ],
      advanced: {
        configLoader: async () => ({ config: new ConfigReader(config) }),
      },
    });
    render(app.createRoot());

    expect(
      await screen.findByText('Sign in using Bitbucket'),
    ).toBeInTheDocument();
    expect(screen.getByText('NFS Backstage')).toBeInTheDocument();

    fireEvent.click(screen.getByRole('button', { name: /sign in/i }));

    expect(
      await screen.findByText('Signed in as user:default/alice'),
    ).toBeInTheDocument();
    // the app's stock Bitbucket API would have asked for `account` only
    const popupUrl = new URL(browser.popupUrls[0]);
    expect(popupUrl.pathname).toBe('/api/auth/bitbucket/start');
    expect(popupUrl.searchParams.get('scope')).toBe('account email');
    expect(popupUrl.searchParams.get('env')).toBe('production');
  });

  it('exports the sign-in page component for custom sign-in page extensions', () => {
    expect(BitbucketSignInPage).toBeInstanceOf(Function);
  });
});
