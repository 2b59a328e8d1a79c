import { request } from 'node:http';
import { FaultInjector, validateFault } from './faults';
import { startBitbucketSimulator } from './server';
import { authorizeUrlFor, getApi, postToken, signIn } from './testHelpers';
import { BitbucketSimulator } from './types';

describe('FaultInjector', () => {
  it('hands out faults per path in order and clears them after `times`', () => {
    const faults = new FaultInjector(0);
    faults.add({ path: '/2.0/user', kind: 'status', status: 503, times: 2 });
    faults.add({ path: '/2.0/user', kind: 'reset', times: 1 });
    expect(faults.take('/2.0/user/emails')).toBeUndefined();
    expect(faults.take('/2.0/user')?.kind).toBe('status');
    expect(faults.take('/2.0/user')?.kind).toBe('status');
    expect(faults.take('/2.0/user')?.kind).toBe('reset');
    expect(faults.take('/2.0/user')).toBeUndefined();
  });

  it('keeps a fault without times until cleared, and reset restores the latency', () => {
    const faults = new FaultInjector(25);
    faults.add({ path: '/2.0/user', kind: 'hang' });
    faults.setLatency(100);
    for (let i = 0; i < 5; i++) {
      expect(faults.take('/2.0/user')?.kind).toBe('hang');
    }
    faults.reset();
    expect(faults.take('/2.0/user')).toBeUndefined();
    expect(faults.latencyMs).toBe(25);
  });

  it('lets `after` requests through before a fault applies', () => {
    const faults = new FaultInjector(0);
    faults.add({ path: '/2.0/user', kind: 'reset', after: 2, times: 1 });
    expect(faults.take('/2.0/user')).toBeUndefined();
    expect(faults.take('/2.0/user')).toBeUndefined();
    expect(faults.take('/2.0/user')?.kind).toBe('reset');
    expect(faults.take('/2.0/user')).toBeUndefined();
    expect(() =>
      validateFault({ path: '/2.0/user', kind: 'reset', after: -1 }),
    ).toThrow('Fault after must be a non-negative integer');
  });

  it('rejects faults it could not apply', () => {
    expect(() =>
      validateFault({ path: '/site/oauth2/authorize', kind: 'hang' }),
    ).toThrow('Fault path must be');
    expect(() => validateFault({ path: '/2.0/user', kind: 'explode' })).toThrow(
      'Fault kind must be one of',
    );
    expect(() =>
      validateFault({ path: '/2.0/user', kind: 'status', status: 200 }),
    ).toThrow('from 400 to 599');
    expect(() =>
      validateFault({ path: '/2.0/user', kind: 'reset', times: 0 }),
    ).toThrow('positive integer');
    expect(() => new FaultInjector(0).setLatency(-1)).toThrow('non-negative');
  });
});

describe('fault injection over HTTP', () => {
  let sim: BitbucketSimulator;
  let accessToken: string;

  beforeAll(async () => {
    sim = await startBitbucketSimulator();
    accessToken = (await signIn(sim, 'alice-bb')).access_token;
  });

  afterEach(() => {
    sim.clearFaults();
    sim.setLatency(0);
  });

  afterAll(async () => {
    await sim.stop();
  });

  it('status 503 answers a Bitbucket error body, once with times: 1', async () => {
    sim.addFault({ path: '/2.0/user', kind: 'status', status: 503, times: 1 });
    const failed = await getApi(sim, '/2.0/user', accessToken);
    expect(failed.status).toBe(503);
    expect(failed.headers.get('content-type')).toBe(
      'application/json; charset=utf-8',
    );
    expect(failed.headers.get('retry-after')).toBeNull();
    expect(await failed.json()).toEqual({
      type: 'error',
      error: { message: 'Service Unavailable' },
    });
    const recovered = await getApi(sim, '/2.0/user', accessToken);
    expect(recovered.status).toBe(200);
  });

  it('status 429 adds Retry-After', async () => {
    sim.addFault({
      path: '/2.0/user/emails',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 7,
    });
    const res = await getApi(sim, '/2.0/user/emails', accessToken);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(await res.json()).toEqual({
      type: 'error',
      error: { message: 'Rate limit for this resource has been exceeded' },
    });
  });

  it('status faults on the token endpoint answer an OAuth error body', async () => {
    sim.addFault({
      path: '/site/oauth2/access_token',
      kind: 'status',
      status: 500,
      times: 1,
    });
    const res = await postToken(sim, {
      grant_type: 'refresh_token',
      refresh_token: 'x',
    });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      error: 'server_error',
      error_description: 'Internal Server Error',
    });
  });

  it('a fault without times stays until clearFaults()', async () => {
    sim.addFault({ path: '/2.0/user', kind: 'status', status: 502 });
    for (let i = 0; i < 3; i++) {
      expect((await getApi(sim, '/2.0/user', accessToken)).status).toBe(502);
    }
    sim.clearFaults();
    expect((await getApi(sim, '/2.0/user', accessToken)).status).toBe(200);
  });

  it('malformed answers 200 with truncated JSON', async () => {
    sim.addFault({ path: '/2.0/user', kind: 'malformed', times: 1 });
    const res = await getApi(sim, '/2.0/user', accessToken);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(
      'application/json; charset=utf-8',
    );
    const text = await res.text();
    expect(text.length).toBeGreaterThan(0);
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
  });

  it('malformed on the token endpoint also breaks JSON parsing', async () => {
    sim.addFault({
      path: '/site/oauth2/access_token',
      kind: 'malformed',
      times: 1,
    });
    const res = await postToken(sim, {
      grant_type: 'refresh_token',
      refresh_token: 'x',
    });
    expect(res.status).toBe(200);
    // undici's SyntaxError comes from another realm than jest's: match by name
    await expect(res.json()).rejects.toMatchObject({ name: 'SyntaxError' });
  });

  it('reset destroys the socket: ECONNRESET for node:http, a rejected fetch', async () => {
    sim.addFault({ path: '/2.0/user', kind: 'reset', times: 2 });
    const error = await new Promise<NodeJS.ErrnoException>(
      (resolve, reject) => {
        const req = request(`${sim.apiBaseUrl}/user`, {
          headers: { authorization: `Bearer ${accessToken}` },
          agent: false,
        });
        req.on('response', () => reject(new Error('unexpected response')));
        req.on('error', resolve);
        req.end();
      },
    );
    expect(error.code).toBe('ECONNRESET');

    await expect(getApi(sim, '/2.0/user', accessToken)).rejects.toThrow(
      'fetch failed',
    );
    expect((await getApi(sim, '/2.0/user', accessToken)).status).toBe(200);
  });

  it('hang never answers: the client times out', async () => {
    sim.addFault({ path: '/2.0/user/emails', kind: 'hang', times: 1 });
    sim.resetRequestCounts();
    const started = Date.now();
    const error = await getApi(sim, '/2.0/user/emails', accessToken, {
      signal: AbortSignal.timeout(200),
    }).then(
      () => undefined,
      e => e,
    );
    // a DOMException from undici's realm: match by name
    expect(error?.name).toBe('TimeoutError');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    // the hung request was counted and the next one is answered
    const res = await getApi(sim, '/2.0/user/emails', accessToken);
    expect(res.status).toBe(200);
    expect(sim.requestCounts()).toEqual({ '/2.0/user/emails': 2 });
  });

  it('latency delays API responses by at least the given time', async () => {
    const measure = async () => {
      const started = performance.now();
      const res = await getApi(sim, '/2.0/user', accessToken);
      await res.arrayBuffer();
      return performance.now() - started;
    };
    sim.setLatency(0);
    const fast = await measure();
    sim.setLatency(200);
    const slow = await measure();
    // timers may fire up to a millisecond early: allow a little slack
    expect(slow).toBeGreaterThanOrEqual(198);
    expect(fast).toBeLessThan(150);
  });

  it('latency applies before a fault, and to the token endpoint', async () => {
    sim.setLatency(150);
    sim.addFault({ path: '/2.0/user', kind: 'status', status: 503, times: 1 });
    let started = performance.now();
    const res = await getApi(sim, '/2.0/user', accessToken);
    expect(res.status).toBe(503);
    expect(performance.now() - started).toBeGreaterThanOrEqual(148);

    started = performance.now();
    const token = await postToken(sim, { grant_type: 'password' });
    expect(token.status).toBe(400);
    expect(performance.now() - started).toBeGreaterThanOrEqual(148);
  });

  it('latency does not apply to the consent page or the control endpoints', async () => {
    sim.setLatency(1000);
    let started = performance.now();
    const page = await fetch(authorizeUrlFor(sim));
    expect(page.status).toBe(200);
    await page.text();
    expect(performance.now() - started).toBeLessThan(500);

    started = performance.now();
    const counts = await fetch(`${sim.url}/_simulator/requests`);
    expect(counts.status).toBe(200);
    await counts.json();
    expect(performance.now() - started).toBeLessThan(500);
  });
});
