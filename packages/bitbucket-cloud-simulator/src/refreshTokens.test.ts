import { demoConsumer } from './demoData';
import { startBitbucketSimulator } from './server';
import { getApi, postToken, signIn, TokenBody } from './testHelpers';
import { BitbucketSimulator } from './types';

/** The simulator's wording; Bitbucket's own texts are not documented */
const ALREADY_USED =
  'The refresh token has already been used: each refresh answers a new one';
const EXPIRED = 'The refresh token has expired: it was not used for 3 months';
const UNKNOWN = 'The refresh token is unknown or revoked';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('refresh_token grant', () => {
  let sim: BitbucketSimulator;

  beforeAll(async () => {
    sim = await startBitbucketSimulator();
  });

  afterAll(async () => {
    await sim.stop();
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  const refresh = (refreshToken: string) =>
    postToken(sim, {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    });

  const expectInvalidGrant = async (res: Response, description: string) => {
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: 'invalid_grant',
      error_description: description,
    });
  };

  it('rotates on every use: each answer has a new refresh token, the used one is dead at once', async () => {
    const tokens = await signIn(sim, 'alice-bb');
    const first = await refresh(tokens.refresh_token);
    expect(first.status).toBe(200);
    const rotated = (await first.json()) as TokenBody;
    expect(rotated).toEqual({
      access_token: expect.any(String),
      scope: 'account email team',
      expires_in: 7200,
      refresh_token: expect.stringMatching(/^[\w-]{40,}$/),
      token_type: 'bearer',
      state: 'refresh_token',
    });
    expect(rotated.refresh_token).not.toBe(tokens.refresh_token);
    expect(rotated.access_token).not.toBe(tokens.access_token);
    expect((await getApi(sim, '/2.0/user', rotated.access_token)).status).toBe(
      200,
    );

    await expectInvalidGrant(await refresh(tokens.refresh_token), ALREADY_USED);

    const second = (await (
      await refresh(rotated.refresh_token)
    ).json()) as TokenBody;
    expect(second.refresh_token).not.toBe(rotated.refresh_token);
    await expectInvalidGrant(
      await refresh(rotated.refresh_token),
      ALREADY_USED,
    );
  });

  it('expires a refresh token unused for 3 months', async () => {
    const now = Date.now();
    const tokens = await signIn(sim, 'bob-bb');
    const kept = await signIn(sim, 'bob-bb');
    jest.spyOn(Date, 'now').mockImplementation(() => now + 89 * DAY_MS);
    const used = await refresh(kept.refresh_token);
    expect(used.status).toBe(200);
    const { refresh_token } = (await used.json()) as TokenBody;

    jest.spyOn(Date, 'now').mockImplementation(() => now + 91 * DAY_MS);
    await expectInvalidGrant(await refresh(tokens.refresh_token), EXPIRED);
    // the one issued at day 89 has 3 months of its own
    expect((await refresh(refresh_token)).status).toBe(200);
  });

  it('answers invalid_grant for an unknown token and for one issued to another consumer', async () => {
    await expectInvalidGrant(await refresh('made-up'), UNKNOWN);

    const other = { ...demoConsumer, key: 'other-key', secret: 'other-secret' };
    const two = await startBitbucketSimulator({
      consumers: [demoConsumer, other],
    });
    try {
      const tokens = await signIn(two, 'alice-bb');
      const res = await postToken(
        two,
        { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
        { consumer: other },
      );
      await expectInvalidGrant(res, UNKNOWN);
      // the failed attempt did not use the token up
      const ok = await postToken(two, {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
      });
      expect(ok.status).toBe(200);
    } finally {
      await two.stop();
    }
  });

  it('answers invalid_grant after revokeRefreshTokens, for that user only', async () => {
    const alice = await signIn(sim, 'alice-bb');
    const bob = await signIn(sim, 'bob-bb');
    sim.revokeRefreshTokens('alice-bb');
    await expectInvalidGrant(await refresh(alice.refresh_token), UNKNOWN);
    const bobRefresh = await refresh(bob.refresh_token);
    expect(bobRefresh.status).toBe(200);
    const { refresh_token } = (await bobRefresh.json()) as TokenBody;

    sim.revokeRefreshTokens();
    await expectInvalidGrant(await refresh(refresh_token), UNKNOWN);
  });

  it('answers invalid_grant after expireRefreshTokens, for that user only', async () => {
    const alice = await signIn(sim, 'alice-bb');
    const bob = await signIn(sim, 'bob-bb');
    sim.expireRefreshTokens('alice-bb');
    await expectInvalidGrant(await refresh(alice.refresh_token), EXPIRED);
    const bobRefresh = await refresh(bob.refresh_token);
    expect(bobRefresh.status).toBe(200);
    const { refresh_token } = (await bobRefresh.json()) as TokenBody;

    sim.expireRefreshTokens();
    await expectInvalidGrant(await refresh(refresh_token), EXPIRED);
    // tokens issued afterwards work
    const fresh = await signIn(sim, 'alice-bb');
    expect((await refresh(fresh.refresh_token)).status).toBe(200);
  });
});
