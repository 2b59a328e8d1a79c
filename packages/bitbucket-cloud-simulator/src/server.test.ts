import { Agent, get } from 'node:http';
import { demoConsumer, demoUsers } from './demoData';
import { startBitbucketSimulator } from './server';
import {
  authorizeUrlFor,
  getApi,
  postToken,
  signIn,
  TokenBody,
} from './testHelpers';
import { BitbucketSimulator, SimulatorUser } from './types';

const COLLABORATOR_REFUSAL =
  'Workspace permission "collaborator" no longer exists on Bitbucket Cloud: use "owner" or "member"';

describe('startBitbucketSimulator', () => {
  it('listens on 127.0.0.1 on a random port and reports its URLs', async () => {
    const sim = await startBitbucketSimulator();
    try {
      expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(sim.url).not.toBe('http://127.0.0.1:0');
      expect(sim.authorizationUrl).toBe(`${sim.url}/site/oauth2/authorize`);
      expect(sim.tokenUrl).toBe(`${sim.url}/site/oauth2/access_token`);
      expect(sim.apiBaseUrl).toBe(`${sim.url}/2.0`);
      const index = await fetch(sim.url);
      expect(index.status).toBe(200);
      expect(await index.text()).toContain(sim.tokenUrl);
    } finally {
      await sim.stop();
    }
  });

  it('rejects invalid options', async () => {
    await expect(startBitbucketSimulator({ port: -1 })).rejects.toThrow('port');
    await expect(
      startBitbucketSimulator({ accessTokenTtlSeconds: 0 }),
    ).rejects.toThrow('accessTokenTtlSeconds');
    await expect(
      startBitbucketSimulator({ users: [demoUsers[0], demoUsers[0]] }),
    ).rejects.toThrow('Duplicate username "alice-bb"');
    await expect(startBitbucketSimulator({ latencyMs: -5 })).rejects.toThrow(
      'Latency',
    );
  });

  it('refuses the collaborator role, which Bitbucket Cloud removed', async () => {
    const carol = demoUsers.find(u => u.username === 'carol-bb')!;
    const collaborator = {
      ...carol,
      workspaces: [{ ...carol.workspaces[0], permission: 'collaborator' }],
    } as unknown as SimulatorUser;
    await expect(
      startBitbucketSimulator({ users: [collaborator] }),
    ).rejects.toThrow(COLLABORATOR_REFUSAL);
  });

  it('fails when the port is taken', async () => {
    const first = await startBitbucketSimulator();
    try {
      const port = Number(new URL(first.url).port);
      await expect(startBitbucketSimulator({ port })).rejects.toThrow(
        'EADDRINUSE',
      );
    } finally {
      await first.stop();
    }
  });

  it('does not share state with demoUsers', async () => {
    const sim = await startBitbucketSimulator();
    try {
      sim.updateUser('alice-bb', { workspaces: [] });
      expect(demoUsers[0].workspaces).toHaveLength(2);
    } finally {
      await sim.stop();
    }
  });
});

describe('request counts', () => {
  let sim: BitbucketSimulator;

  beforeAll(async () => {
    sim = await startBitbucketSimulator();
  });

  afterAll(async () => {
    await sim.stop();
  });

  it('counts requests per pathname, faulted ones included, /_simulator excluded', async () => {
    const { access_token } = await signIn(sim, 'alice-bb');
    sim.resetRequestCounts();
    await getApi(sim, '/2.0/user?x=1', access_token);
    await getApi(sim, '/2.0/user/emails', access_token);
    sim.addFault({
      path: '/2.0/user/emails',
      kind: 'status',
      status: 500,
      times: 1,
    });
    await getApi(sim, '/2.0/user/emails', access_token);
    await getApi(sim, '/2.0/nothing-here', access_token);
    await fetch(`${sim.url}/_simulator/requests`);
    expect(sim.requestCounts()).toEqual({
      '/2.0/user': 1,
      '/2.0/user/emails': 2,
      '/2.0/nothing-here': 1,
    });
    sim.resetRequestCounts();
    expect(sim.requestCounts()).toEqual({});
  });
});

describe('control endpoints', () => {
  let sim: BitbucketSimulator;

  beforeAll(async () => {
    sim = await startBitbucketSimulator({ latencyMs: 0 });
  });

  afterAll(async () => {
    await sim.stop();
  });

  const control = (method: string, path: string, body?: unknown) =>
    fetch(`${sim.url}/_simulator/${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('GET requests answers the counts; POST reset clears them, faults and latency', async () => {
    const { access_token } = await signIn(sim, 'alice-bb');
    await control('POST', 'reset');
    await getApi(sim, '/2.0/user', access_token);
    const counts = await control('GET', 'requests');
    expect(counts.status).toBe(200);
    expect(await counts.json()).toEqual({ '/2.0/user': 1 });

    expect(
      (
        await control('POST', 'faults', {
          path: '/2.0/user',
          kind: 'status',
          status: 503,
        })
      ).status,
    ).toBe(204);
    expect((await control('PUT', 'latency', { ms: 300 })).status).toBe(204);
    expect((await control('POST', 'reset')).status).toBe(204);
    expect(sim.requestCounts()).toEqual({});
    expect(sim.authorizeRequests()).toEqual([]);
    const started = performance.now();
    expect((await getApi(sim, '/2.0/user', access_token)).status).toBe(200);
    expect(performance.now() - started).toBeLessThan(250);
  });

  it('POST faults adds a fault (429 defaults Retry-After to 1); DELETE faults clears them', async () => {
    const { access_token } = await signIn(sim, 'alice-bb');
    await control('POST', 'faults', {
      path: '/2.0/user',
      kind: 'status',
      status: 429,
    });
    const limited = await getApi(sim, '/2.0/user', access_token);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect((await control('DELETE', 'faults')).status).toBe(204);
    expect((await getApi(sim, '/2.0/user', access_token)).status).toBe(200);
  });

  it('POST faults rejects an invalid fault with 400', async () => {
    const res = await control('POST', 'faults', {
      path: '/2.0/user',
      kind: 'boom',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain(
      'Fault kind',
    );
    const notJson = await fetch(`${sim.url}/_simulator/faults`, {
      method: 'POST',
      body: '{nope',
    });
    expect(notJson.status).toBe(400);
  });

  it('PUT latency sets the latency', async () => {
    const { access_token } = await signIn(sim, 'alice-bb');
    expect((await control('PUT', 'latency', { ms: 120 })).status).toBe(204);
    const started = performance.now();
    await (await getApi(sim, '/2.0/user', access_token)).arrayBuffer();
    expect(performance.now() - started).toBeGreaterThanOrEqual(118);
    expect((await control('PUT', 'latency', { ms: 'slow' })).status).toBe(400);
    await control('POST', 'reset');
  });

  it('POST expire-access-tokens makes tokens answer 401 expired', async () => {
    const { access_token } = await signIn(sim, 'alice-bb');
    expect((await control('POST', 'expire-access-tokens')).status).toBe(204);
    const res = await getApi(sim, '/2.0/user', access_token);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      type: 'error',
      error: { message: 'Access token expired.' },
    });
  });

  it('POST revoke-refresh-tokens and expire-refresh-tokens act on one user or everyone', async () => {
    const refresh = (token: string) =>
      postToken(sim, { grant_type: 'refresh_token', refresh_token: token });
    const descriptionOf = async (res: Response) => {
      expect(res.status).toBe(400);
      return ((await res.json()) as { error_description: string })
        .error_description;
    };
    for (const action of ['revoke', 'expire']) {
      const alice = await signIn(sim, 'alice-bb');
      const bob = await signIn(sim, 'bob-bb');
      const path = `${action}-refresh-tokens`;
      expect((await control('POST', path, { username: 'bob-bb' })).status).toBe(
        204,
      );
      const bobRefused = await descriptionOf(await refresh(bob.refresh_token));
      expect(bobRefused).toContain(
        action === 'revoke' ? 'unknown or revoked' : 'expired',
      );
      const aliceRefreshed = await refresh(alice.refresh_token);
      expect(aliceRefreshed.status).toBe(200);
      const { refresh_token } = (await aliceRefreshed.json()) as TokenBody;
      expect((await control('POST', path)).status).toBe(204);
      expect(await descriptionOf(await refresh(refresh_token))).toBe(
        bobRefused,
      );
      expect((await control('POST', path, { username: 1 })).status).toBe(400);
    }
  });

  it('PATCH users/<username> changes the user for later requests', async () => {
    const { access_token } = await signIn(sim, 'bob-bb');
    const res = await control('PATCH', 'users/bob-bb', {
      emails: [
        { email: 'bob.brown@example.com', isPrimary: true, isConfirmed: true },
      ],
    });
    expect(res.status).toBe(204);
    const emails = (await (
      await getApi(sim, '/2.0/user/emails', access_token)
    ).json()) as {
      values: Array<{ email: string; is_primary: boolean }>;
    };
    expect(emails.values).toEqual([
      expect.objectContaining({
        email: 'bob.brown@example.com',
        is_primary: true,
      }),
    ]);
    expect((await control('PATCH', 'users/nobody', {})).status).toBe(404);
    expect(
      (await control('PATCH', 'users/bob-bb', { username: 'x' })).status,
    ).toBe(400);
    expect(
      (await control('PATCH', 'users/bob-bb', { emails: 'x' })).status,
    ).toBe(400);
    const collaborator = await control('PATCH', 'users/bob-bb', {
      workspaces: [
        { slug: 'acme', name: 'Acme', uuid: '{1}', permission: 'collaborator' },
      ],
    });
    expect(collaborator.status).toBe(400);
    expect(await collaborator.json()).toEqual({ error: COLLABORATOR_REFUSAL });
  });

  it('GET authorize-requests lists the recorded authorize queries', async () => {
    await control('POST', 'reset');
    await fetch(authorizeUrlFor(sim, { state: 's1' }));
    const res = await control('GET', 'authorize-requests');
    expect(await res.json()).toEqual([
      {
        client_id: demoConsumer.key,
        response_type: 'code',
        state: 's1',
        redirect_uri: demoConsumer.callbackUrl,
      },
    ]);
  });

  it('answers 404 for unknown control endpoints', async () => {
    expect((await control('GET', 'nothing')).status).toBe(404);
  });
});

describe('stop()', () => {
  it('closes hung and keep-alive connections promptly', async () => {
    const sim = await startBitbucketSimulator();
    const { access_token } = await signIn(sim, 'alice-bb');

    // a keep-alive connection that stays open after its response
    const agent = new Agent({ keepAlive: true });
    const status = await new Promise<number | undefined>((resolve, reject) => {
      get(`${sim.url}/_simulator/requests`, { agent }, res => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      }).on('error', reject);
    });
    expect(status).toBe(200);

    // and a hung request
    sim.addFault({ path: '/2.0/user', kind: 'hang' });
    const hung = getApi(sim, '/2.0/user', access_token).then(
      () => 'answered',
      () => 'failed',
    );
    await new Promise(resolve => setTimeout(resolve, 50));

    const started = performance.now();
    await sim.stop();
    expect(performance.now() - started).toBeLessThan(500);
    await expect(hung).resolves.toBe('failed');
    await expect(fetch(sim.url)).rejects.toThrow('fetch failed');
    await sim.stop(); // idempotent
    agent.destroy();
  });

  it('cancels pending latency timers', async () => {
    const sim = await startBitbucketSimulator();
    const { access_token } = await signIn(sim, 'alice-bb');
    sim.setLatency(60_000);
    const pending = getApi(sim, '/2.0/user', access_token).then(
      () => 'answered',
      () => 'failed',
    );
    await new Promise(resolve => setTimeout(resolve, 50));
    const started = performance.now();
    await sim.stop();
    expect(performance.now() - started).toBeLessThan(500);
    await expect(pending).resolves.toBe('failed');
  });
});
