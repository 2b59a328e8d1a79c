import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { fakeAuthResponse, fakeBrowser } from '@bitbucket-signin/test-kit';
import { renderApp, withCatalog } from './__testUtils__/app';

// the whole app with its plugins: slow on a busy 2-core machine
jest.setTimeout(30_000);

describe('App', () => {
  let browser: ReturnType<typeof fakeBrowser> | undefined;

  afterEach(() => {
    browser?.restore();
    browser = undefined;
    window.history.replaceState(null, '', '/');
  });

  it('offers Bitbucket on the sign-in page, shows a failed sign-in, then shows who signed in and the Bitbucket provider in the settings', async () => {
    browser = fakeBrowser({
      type: 'authorization_response',
      error: {
        name: 'NotAllowedError',
        message: 'Bitbucket sign-in was declined (The user denied access)',
      },
    });
    withCatalog();
    await renderApp('/settings');

    expect(
      await screen.findByText('Sign in using Bitbucket'),
    ).toBeInTheDocument();
    expect(screen.getByText('Test Backstage')).toBeInTheDocument();

    // a failed sign-in is shown by the app's alert display (a toast)
    fireEvent.click(screen.getByRole('button', { name: /sign in/i }));
    const toast = await screen.findByRole('alertdialog');
    expect(toast).toHaveTextContent(
      'Bitbucket sign-in was declined (The user denied access)',
    );
    fireEvent.click(within(toast).getByRole('button', { name: 'Close' }));
    await waitFor(() =>
      expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument(),
    );

    // the sign-in page still works
    browser.answerWith({
      type: 'authorization_response',
      response: fakeAuthResponse,
    });
    fireEvent.click(screen.getByRole('button', { name: /sign in/i }));

    // the settings page shows the signed-in identity
    expect(
      (await screen.findAllByText('Alice Anderson', {}, { timeout: 10_000 }))
        .length,
    ).toBeGreaterThan(0);
    expect(screen.getAllByText('alice@example.com').length).toBeGreaterThan(0);
    await waitFor(() =>
      expect(
        document.querySelector('a[href="/catalog/default/user/alice"]'),
      ).not.toBeNull(),
    );
    expect(browser.popupUrls).toHaveLength(2);
    expect(browser.popupUrls[1]).toMatch(
      /^http:\/\/localhost:7007\/api\/auth\/bitbucket\/start\?scope=account%20email&/,
    );

    // the settings list Bitbucket under the authentication providers
    fireEvent.click(
      screen.getByRole('tab', { name: 'Authentication Providers' }),
    );
    expect(await screen.findByText('Available Providers')).toBeInTheDocument();
    expect(
      screen.getByText(
        'Provides authentication towards Bitbucket APIs and identities',
      ),
    ).toBeInTheDocument();
  });
});
