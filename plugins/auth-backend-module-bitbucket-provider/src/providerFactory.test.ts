import {
  BitbucketSimulator,
  demoUsers,
  startBitbucketSimulator,
} from '@bitbucket-signin/bitbucket-cloud-simulator';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  refreshBackstageSession,
  signInThroughBackstage,
} from '@bitbucket-signin/test-kit';
import { loadDocRecipe } from './__testUtils__/docRecipe';
import {
  startAuthBackend,
  testConsumer,
  userEntity,
} from './__testUtils__/startAuthBackend';
import { forgedState, postMessageTarget } from './__testUtils__/forgedCallback';

const consumer = testConsumer('factory-test');
const uuidOf = (username: string) =>
  demoUsers.find(user => user.username === username)!.uuid;
const entities = ['alice', 'dave'].map(name =>
  userEntity(name, {}, { 'bitbucket.org/user-id': uuidOf(`${name}-bb`) }),
);

describe("the docs' custom-resolver recipe, as written", () => {
  const recipe = loadDocRecipe('Admit only workspace owners');
  let simulator: BitbucketSimulator;
  let backend: Awaited<ReturnType<typeof startAuthBackend>>;

  beforeAll(async () => {
    simulator = await startBitbucketSimulator({ consumers: [consumer] });
    backend = await startAuthBackend({
      simulator,
      consumer,
      entities,
      module: recipe.feature,
      providerConfig: { workspaces: ['acme'] },
    });
  });
  afterAll(async () => {
    await backend?.stop();
    await simulator.stop();
    recipe.remove();
  });

  const signIn = (username: string) =>
    signInThroughBackstage({
      backendUrl: backend.backendUrl,
      consent: url => simulator.approve(url, username),
    });

  it('admits an owner of acme and refuses a member', async () => {
    const owner = await signIn('alice-bb');
    expect(owner.response?.backstageIdentity?.identity.userEntityRef).toBe(
      'user:default/alice',
    );
    const member = await signIn('dave-bb');
    expect(member.error?.message).toContain(
      'Only owners of the acme workspace',
    );
  });

  it('keeps the callback-origin guard: nothing is posted to a forged origin', async () => {
    const state = forgedState({
      origin: 'https://evil.example',
    });
    for (const query of [`state=${state}`, `state=${state}&state=x`]) {
      const res = await fetch(
        `${backend.backendUrl}/api/auth/bitbucket/handler/frame?${query}`,
      );
      const body = decodeURIComponent(await res.text());
      expect([res.status, postMessageTarget(body)]).toEqual([
        expect.any(Number),
        undefined,
      ]);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(body).not.toContain("'https://evil.example'");
    }
  });

  it('keeps the outage mapping: a refresh while Bitbucket is down answers 503', async () => {
    const first = await signIn('alice-bb');
    simulator.addFault({
      path: '/site/oauth2/access_token',
      kind: 'status',
      status: 502,
      times: 1,
    });
    const refreshed = await refreshBackstageSession({
      backendUrl: backend.backendUrl,
      cookies: first.cookies,
    });
    expect(refreshed.status).toBe(503);
  });
});

describe('a sign-in while the catalog is not running', () => {
  it('says the catalog did not answer, not that the user is missing', async () => {
    const simulator = await startBitbucketSimulator({ consumers: [consumer] });
    const catalogDown = catalogServiceMock.mock({
      // what the catalog client answers when the catalog plugin is not mounted
      getEntityByRef: async () => undefined,
      getEntities: async () => {
        throw Object.assign(new Error('Request failed with 404 Not Found'), {
          name: 'ResponseError',
        });
      },
    });
    const backend = await startAuthBackend({
      simulator,
      consumer,
      entities: [],
      catalog: catalogDown.factory,
      providerConfig: {
        signIn: {
          resolvers: [
            {
              resolver: 'emailLocalPartMatchingUserEntityName',
              allowedDomains: ['example.com'],
            },
          ],
        },
      },
    });
    try {
      const outcome = await signInThroughBackstage({
        backendUrl: backend.backendUrl,
        consent: url => simulator.approve(url, 'alice-bb'),
      });
      expect(outcome.error?.message).toMatch(
        /^The Backstage catalog did not answer \(Request failed with 404 Not Found\), so Backstage cannot tell who you are/,
      );
      expect(outcome.error?.message).not.toContain(
        'not in this Backstage catalog',
      );
    } finally {
      await backend.stop();
      await simulator.stop();
    }
  });
});
