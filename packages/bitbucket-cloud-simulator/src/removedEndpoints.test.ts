import { startBitbucketSimulator } from './server';
import { getApi, signIn } from './testHelpers';
import { BitbucketSimulator } from './types';

/** What Bitbucket Cloud answers since CHANGE-2770 was enforced */
const change2770 = {
  type: 'error',
  error: {
    message: 'CHANGE-2770 - Functionality has been deprecated',
    detail: 'Please read the changelog entry for more details.',
    data: {
      announcement_url:
        'https://developer.atlassian.com/cloud/bitbucket/changelog#CHANGE-2770',
    },
  },
};

describe('endpoints removed by CHANGE-2770', () => {
  let sim: BitbucketSimulator;
  let token: string;

  beforeAll(async () => {
    sim = await startBitbucketSimulator();
    token = (await signIn(sim, 'dave-bb')).access_token;
  });

  afterAll(async () => {
    await sim.stop();
  });

  it.each([
    '/2.0/user/permissions/workspaces',
    '/2.0/workspaces',
    '/2.0/user/permissions/repositories',
    '/2.0/repositories',
  ])('GET %s answers 410 Gone with the CHANGE-2770 body', async path => {
    for (const url of [path, `${path}/`, `${path}?pagelen=100`]) {
      const res = await getApi(sim, url, token);
      expect(res.status).toBe(410);
      expect(res.headers.get('content-type')).toBe(
        'application/json; charset=utf-8',
      );
      expect(await res.json()).toEqual(change2770);
    }
    const anonymous = await fetch(`${sim.url}${path}`);
    expect(anonymous.status).toBe(410);
    expect(await anonymous.json()).toEqual(change2770);
  });

  it('keeps the endpoints under them that still exist', async () => {
    const members = await getApi(sim, '/2.0/workspaces/acme/members', token);
    expect(members.status).toBe(200);
  });
});
