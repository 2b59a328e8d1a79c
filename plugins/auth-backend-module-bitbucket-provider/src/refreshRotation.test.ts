import {
  BitbucketSimulator,
  startBitbucketSimulator,
} from '@bitbucket-signin/bitbucket-cloud-simulator';
import {
  refreshBackstageSession,
  signInThroughBackstage,
} from '@bitbucket-signin/test-kit';
import {
  aliceByEmail,
  startAuthBackend,
  testConsumer,
} from './__testUtils__/startAuthBackend';

const consumer = testConsumer('rotation-test');

/** Bitbucket rotates refresh tokens on every use; every tab refreshes with the one cookie */
describe('tabs refreshing one session at once', () => {
  let simulator: BitbucketSimulator;
  let backend: Awaited<ReturnType<typeof startAuthBackend>> | undefined;

  beforeEach(async () => {
    simulator = await startBitbucketSimulator({ consumers: [consumer] });
  });
  afterEach(async () => {
    await backend?.stop();
    backend = undefined;
    await simulator.stop();
  });

  async function threeTabsAtOnce(providerConfig: Record<string, unknown>) {
    backend = await startAuthBackend({
      simulator,
      consumer,
      entities: aliceByEmail.entities,
      providerConfig: {
        signIn: aliceByEmail.signIn,
        ...providerConfig,
      },
    });
    const { backendUrl } = backend;
    const first = await signInThroughBackstage({
      backendUrl,
      consent: url => simulator.approve(url, 'alice-bb'),
    });
    simulator.resetRequestCounts();
    const tabs = await Promise.all(
      [1, 2, 3].map(() =>
        refreshBackstageSession({ backendUrl, cookies: first.cookies }),
      ),
    );
    return { backendUrl, first, tabs };
  }

  it('keeps every tab signed in, with one refresh at Bitbucket and one working cookie', async () => {
    const { backendUrl, tabs } = await threeTabsAtOnce({});
    expect(tabs.map(tab => tab.status)).toEqual([200, 200, 200]);
    expect(simulator.requestCounts()['/site/oauth2/access_token']).toBe(1);
    const cookies = new Set(tabs.map(tab => tab.cookies.join('; ')));
    expect(cookies.size).toBe(1);
    const next = await refreshBackstageSession({
      backendUrl,
      cookies: tabs[0].cookies,
    });
    expect(next.status).toBe(200);
  });

  it('signs out all tabs but one with the reuse window turned off, as every Backstage provider does', async () => {
    const { tabs } = await threeTabsAtOnce({ refreshReuseWindow: 0 });
    expect(tabs.map(tab => tab.status).sort()).toEqual([200, 401, 401]);
    const refused = tabs.find(tab => tab.status === 401)!;
    expect(refused.text).toContain('this one was already used');
  });

  it('refuses the old cookie after the window, as Bitbucket does', async () => {
    const { backendUrl, first, tabs } = await threeTabsAtOnce({
      refreshReuseWindow: 300,
    });
    expect(tabs.map(tab => tab.status)).toEqual([200, 200, 200]);
    await new Promise(resolve => setTimeout(resolve, 400));
    const late = await refreshBackstageSession({
      backendUrl,
      cookies: first.cookies,
    });
    expect(late.status).toBe(401);
  });
});
