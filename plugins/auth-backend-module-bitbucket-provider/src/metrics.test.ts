import { metricsServiceFactory } from '@backstage/backend-defaults/alpha';
import {
  BitbucketSimulator,
  startBitbucketSimulator,
} from '@bitbucket-signin/bitbucket-cloud-simulator';
import {
  installTestMeterProvider,
  refreshBackstageSession,
  signInThroughBackstage,
} from '@bitbucket-signin/test-kit';
import {
  aliceByEmail,
  startAuthBackend,
  testConsumer,
} from './__testUtils__/startAuthBackend';

const consumer = testConsumer('metrics-test');

describe("sign-in metrics through Backstage's metrics service", () => {
  const meters = installTestMeterProvider();
  let simulator: BitbucketSimulator;
  let backend: Awaited<ReturnType<typeof startAuthBackend>>;

  beforeAll(async () => {
    simulator = await startBitbucketSimulator({ consumers: [consumer] });
    backend = await startAuthBackend({
      simulator,
      consumer,
      entities: aliceByEmail.entities,
      extraFeatures: [metricsServiceFactory],
      providerConfig: {
        signIn: {
          resolvers: [
            { resolver: 'userIdMatchingUserEntityAnnotation' },
            { resolver: 'emailMatchingUserEntityProfileEmail' },
          ],
        },
      },
    });
  });
  afterAll(async () => {
    await backend?.stop();
    await simulator?.stop();
    await meters.uninstall();
  });

  const signIn = (username: string) =>
    signInThroughBackstage({
      backendUrl: backend.backendUrl,
      consent: url => simulator.approve(url, username),
    });
  const byReason = async (name: string) =>
    Object.fromEntries(
      (await meters.points(name)).map(p => [p.attributes.reason, p.value]),
    );

  it('counts sign-ins and refreshes by reason, and times Bitbucket by endpoint, naming nobody', async () => {
    const alice = await signIn('alice-bb');
    expect(alice.response?.backstageIdentity).toBeDefined();
    expect((await signIn('grace-bb')).error?.message).toContain(
      'not in this Backstage catalog',
    );
    simulator.addFault({ path: '/2.0/user', kind: 'status', status: 410 });
    expect((await signIn('alice-bb')).error?.name).toBe('NotImplementedError');
    simulator.clearFaults();
    const forged = Buffer.from(
      'nonce=abc&env=development&origin=https%3A%2F%2Fevil.example',
    ).toString('hex');
    await fetch(
      `${backend.backendUrl}/api/auth/bitbucket/handler/frame?state=${forged}`,
    ).then(res => res.text());
    await Promise.all(
      [1, 2, 3].map(() =>
        refreshBackstageSession({
          backendUrl: backend.backendUrl,
          cookies: alice.cookies,
        }),
      ),
    );

    expect(await byReason('auth.bitbucket.sign_ins')).toEqual({
      ok: 1,
      not_in_catalog: 1,
      endpoint_removed: 1,
      bad_request: 1,
    });
    expect(await byReason('auth.bitbucket.refreshes')).toEqual({
      ok: 1,
      reused: 2,
    });
    const requests = await meters.points('bitbucket.request.duration');
    const count = (endpoint: string, statusClass?: string) =>
      requests
        .filter(p => p.attributes.endpoint === endpoint)
        .filter(p => !statusClass || p.attributes.status_class === statusClass)
        .reduce((sum, p) => sum + p.value, 0);
    // three sign-ins and one refresh at Bitbucket; the 410 stops its sibling call
    expect(count('/site/oauth2/access_token', '2xx')).toBe(4);
    expect(count('/user', '2xx')).toBe(3);
    expect(count('/user', '4xx')).toBe(1);
    expect(count('/user/emails')).toBe(4);
    expect(requests.map(p => p.attributes.endpoint).sort()).toEqual(
      expect.arrayContaining([
        '/site/oauth2/access_token',
        '/user',
        '/user/emails',
      ]),
    );
    // bounded values only: no user, email, uuid, token or code
    const values = [
      ...(await meters.points('auth.bitbucket.sign_ins')),
      ...(await meters.points('auth.bitbucket.refreshes')),
      ...requests,
    ].flatMap(p => Object.values(p.attributes));
    for (const value of values) {
      expect(value).toMatch(/^([a-z_]+|[1-5]xx|(\/[a-z0-9_]+)+)$/);
    }
    expect(values.join(' ')).not.toMatch(/alice|grace/);
  });
});
