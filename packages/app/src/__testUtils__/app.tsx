/**
 * What the app's unit tests share: its config, a catalog that knows alice,
 * and rendering the whole app at a path. Test-only.
 */
import { render } from '@testing-library/react';

export const appConfig = {
  app: {
    title: 'Test Backstage',
    baseUrl: 'http://localhost',
    // as in app-config.yaml: the catalog is the landing page
    extensions: [{ 'page:catalog': { config: { path: '/' } } }],
  },
  backend: { baseUrl: 'http://localhost:7007' },
  auth: {
    environment: 'development',
    providers: { bitbucket: { development: {} } },
  },
};

export const alice = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name: 'alice', namespace: 'default' },
  spec: {
    profile: { displayName: 'Alice Anderson', email: 'alice@example.com' },
    memberOf: ['platform'],
  },
};

/**
 * Lets the catalog answer for alice, on top of `fakeBrowser` (call it after
 * that); every other request gets fakeBrowser's answer
 */
export function withCatalog() {
  const fetchMock = jest.mocked(global.fetch);
  const fallback = fetchMock.getMockImplementation()!;
  fetchMock.mockImplementation(async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const json = (body: unknown) =>
      new Response(JSON.stringify(body), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    if (url.includes('/api/catalog/entities/by-name/user/default/alice')) {
      return json(alice);
    }
    if (url.includes('/api/catalog/entities/by-refs')) {
      const body =
        input instanceof Request ? await input.text() : String(init?.body);
      const refs: string[] = JSON.parse(body).entityRefs;
      return json({
        items: refs.map(ref => (ref === 'user:default/alice' ? alice : null)),
      });
    }
    return fallback(input, init);
  });
}

/** Renders the app of App.tsx at `path`, with `appConfig` */
export async function renderApp(path: string) {
  process.env = {
    ...process.env,
    NODE_ENV: 'test',
    APP_CONFIG: [{ data: appConfig, context: 'test' }] as any,
  };
  window.history.replaceState(null, '', path);
  // imported here so that it reads the APP_CONFIG above
  const { default: App } = await import('../App');
  return render(App.createRoot());
}
