import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { fakeAuthResponse, fakeBrowser } from '@bitbucket-signin/test-kit';

// the whole app, rendered twice over: slow on a busy 2-core machine
jest.setTimeout(20_000);

describe('App', () => {
  let browser: ReturnType<typeof fakeBrowser> | undefined;

  beforeEach(() => {
    process.env = {
      NODE_ENV: 'test',
      APP_CONFIG: [
        {
          data: {
            app: { title: 'Test Backstage', baseUrl: 'http://localhost' },
            backend: { baseUrl: 'http://localhost:7007' },
            auth: { environment: 'development' },
          },
          context: 'test',
        },
      ] as any,
    };
  });

  afterEach(() => {
    browser?.restore();
    browser = undefined;
  });

  it('offers Bitbucket on the sign-in page, shows sign-in errors, stays usable and shows who signed in', async () => {
    browser = fakeBrowser({
      type: 'authorization_response',
      error: {
        name: 'NotAllowedError',
        message: 'Bitbucket sign-in was declined (The user denied access)',
      },
    });
    // imported here so that it reads the APP_CONFIG above
    const { default: App } = await import('./App');
    render(<App />);

    expect(
      await screen.findByText('Sign in using Bitbucket'),
    ).toBeInTheDocument();
    expect(screen.getByText('Select a sign-in method')).toBeInTheDocument();
    expect(screen.getByText('Test Backstage')).toBeInTheDocument();

    // a failed sign-in is shown through AlertDisplay
    fireEvent.click(screen.getByRole('button', { name: /sign in/i }));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Bitbucket sign-in was declined (The user denied access)',
    );
    fireEvent.click(screen.getByTestId('error-button-close'));
    await waitFor(() =>
      expect(screen.queryByRole('alert')).not.toBeInTheDocument(),
    );

    // the sign-in page still works
    browser.answerWith({
      type: 'authorization_response',
      response: fakeAuthResponse,
    });
    fireEvent.click(screen.getByRole('button', { name: /sign in/i }));

    expect(
      await screen.findByText('Hello, Alice Anderson'),
    ).toBeInTheDocument();
    expect(browser.popupUrls).toHaveLength(2);
    expect(browser.popupUrls[1]).toMatch(
      /^http:\/\/localhost:7007\/api\/auth\/bitbucket\/start\?scope=account%20email&/,
    );
    expect(screen.getByTestId('user-entity-ref')).toHaveTextContent(
      'user:default/alice',
    );
  });
});
