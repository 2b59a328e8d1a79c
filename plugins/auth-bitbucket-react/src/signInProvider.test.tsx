import { SignInPage } from '@backstage/core-components';
import {
  IdentityApi,
  configApiRef,
  errorApiRef,
} from '@backstage/core-plugin-api';
import { OAuthRequestManager } from '@backstage/core-app-api';
import {
  MockErrorApi,
  TestApiProvider,
  mockApis,
  renderInTestApp,
} from '@backstage/test-utils';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { bitbucketAuthApiFactory, bitbucketAuthApiRef } from './apis';
import { bitbucketSignInProvider } from './signInProvider';
import { fakeBrowser } from '@bitbucket-signin/test-kit';

const configApi = mockApis.config({
  data: { app: { title: 'Test Backstage' }, auth: { environment: 'test' } },
});

function renderSignInPage(onSignInSuccess: (identity: IdentityApi) => void) {
  const errorApi = new MockErrorApi({ collect: true });
  const bitbucketAuthApi = bitbucketAuthApiFactory.factory({
    configApi,
    discoveryApi: {
      getBaseUrl: async (pluginId: string) =>
        `http://backend.test/api/${pluginId}`,
    },
    oauthRequestApi: new OAuthRequestManager(),
  });
  return {
    errorApi,
    rendered: renderInTestApp(
      <TestApiProvider
        apis={[
          [configApiRef, configApi],
          [errorApiRef, errorApi],
          [bitbucketAuthApiRef, bitbucketAuthApi],
        ]}
      >
        <SignInPage
          onSignInSuccess={onSignInSuccess}
          providers={[bitbucketSignInProvider]}
        />
      </TestApiProvider>,
    ),
  };
}

describe('bitbucketSignInProvider', () => {
  let browser: ReturnType<typeof fakeBrowser> | undefined;

  afterEach(() => {
    browser?.restore();
    browser = undefined;
  });

  it('is the SignInPage entry for Bitbucket', () => {
    expect(bitbucketSignInProvider).toEqual({
      id: 'bitbucket-auth-provider',
      title: 'Bitbucket',
      message: 'Sign in using Bitbucket',
      apiRef: bitbucketAuthApiRef,
    });
  });

  it('renders on the SignInPage and signs in through the popup', async () => {
    browser = fakeBrowser();
    const onSignInSuccess = jest.fn();
    await renderSignInPage(onSignInSuccess).rendered;

    expect(await screen.findByText('Test Backstage')).toBeInTheDocument();
    expect(screen.getByText('Bitbucket')).toBeInTheDocument();
    expect(screen.getByText('Sign in using Bitbucket')).toBeInTheDocument();
    // the page looked for an existing session without opening a popup
    expect(browser.popupUrls).toHaveLength(0);
    expect(onSignInSuccess).not.toHaveBeenCalled();

    fireEvent.click(screen.getByRole('button', { name: /sign in/i }));

    await waitFor(() => expect(onSignInSuccess).toHaveBeenCalledTimes(1));
    expect(browser.popupUrls[0]).toContain('/api/auth/bitbucket/start?');
    const identity: IdentityApi = onSignInSuccess.mock.calls[0][0];
    expect(await identity.getBackstageIdentity()).toEqual({
      type: 'user',
      userEntityRef: 'user:default/alice',
      ownershipEntityRefs: ['user:default/alice', 'group:default/platform'],
    });
    expect(await identity.getProfileInfo()).toMatchObject({
      displayName: 'Alice Anderson',
    });
  });

  it('reports a refused sign-in and stays usable', async () => {
    browser = fakeBrowser({
      type: 'authorization_response',
      error: {
        name: 'NotFoundError',
        message:
          'Your Bitbucket account grace-bb is not in this Backstage catalog yet; ask your Backstage admin to add you.',
      },
    });
    const onSignInSuccess = jest.fn();
    const { errorApi, rendered } = renderSignInPage(onSignInSuccess);
    await rendered;

    fireEvent.click(await screen.findByRole('button', { name: /sign in/i }));

    await waitFor(() => expect(errorApi.getErrors()).toHaveLength(1));
    expect(errorApi.getErrors()[0].error.message).toContain(
      'Your Bitbucket account grace-bb is not in this Backstage catalog yet',
    );
    expect(onSignInSuccess).not.toHaveBeenCalled();
    expect(screen.getByRole('button', { name: /sign in/i })).not.toBeDisabled();
  });
});
