import { fireEvent, screen, within } from '@testing-library/react';
import { fakeBrowser } from '@bitbucket-signin/test-kit';
import { renderApp, withCatalog } from '../../__testUtils__/app';

// the whole app with its plugins: slow on a busy 2-core machine
jest.setTimeout(30_000);

describe('the sidebar', () => {
  let browser: ReturnType<typeof fakeBrowser> | undefined;

  afterEach(() => {
    browser?.restore();
    browser = undefined;
    window.history.replaceState(null, '', '/');
  });

  it('shows, once signed in, the pages of the plugins this backend runs and the settings', async () => {
    browser = fakeBrowser();
    withCatalog();
    await renderApp('/settings');

    // no sidebar on the sign-in page
    fireEvent.click(await screen.findByRole('button', { name: /sign in/i }));

    const nav = await screen.findByRole('navigation', { name: 'sidebar nav' });
    const links = within(nav)
      .getAllByRole('link')
      .map(link => link.getAttribute('href'));
    expect(links).toEqual(
      expect.arrayContaining([
        '/',
        '/catalog-graph',
        '/visualizer',
        '/settings',
      ]),
    );
    expect(nav).toHaveTextContent('Catalog');
    expect(nav).toHaveTextContent('Settings');
    // the template's search, scaffolder and notifications need backends we do not run
    expect(nav).not.toHaveTextContent('Search');
    expect(nav).not.toHaveTextContent('Create');
    expect(nav).not.toHaveTextContent('Notifications');
  });
});
