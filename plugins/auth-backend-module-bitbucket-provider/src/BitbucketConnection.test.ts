import http from 'node:http';
import { startLoopbackServer } from './__testUtils__/loopbackServer';
import { BitbucketConnection } from './BitbucketConnection';
import { Deadline } from './deadline';

describe('BitbucketConnection', () => {
  let server: Awaited<ReturnType<typeof startLoopbackServer>>;
  let baseUrl: string;
  let handler: http.RequestListener;
  const deadlines: Deadline[] = [];

  beforeAll(async () => {
    server = await startLoopbackServer((req, res) => handler(req, res));
    baseUrl = server.url;
  });

  afterEach(() => deadlines.splice(0).forEach(deadline => deadline.clear()));

  afterAll(() => server.stop());

  function deadline(ms: number) {
    const created = new Deadline(ms);
    deadlines.push(created);
    return created;
  }

  const get = (path: string, within: Deadline) =>
    new BitbucketConnection(`${baseUrl}/2.0`).send(
      { method: 'GET', path, headers: { accept: 'application/json' } },
      within,
    );

  it('reads the whole answer, its status and a Retry-After', async () => {
    handler = (_req, res) => {
      res.writeHead(429, { 'retry-after': '30' });
      res.write('{"type":"error",');
      setTimeout(() => res.end('"error":{"message":"slow down"}}'), 20);
    };
    await expect(get('/2.0/user', deadline(2000))).resolves.toEqual({
      status: 429,
      retryAfter: '30',
      text: '{"type":"error","error":{"message":"slow down"}}',
    });
  });

  it("sends through Node's global agent, which corporate proxy setups configure", async () => {
    handler = (_req, res) => res.end('{}');
    const original = http.globalAgent;
    const proxyAware = new http.Agent({ keepAlive: true });
    const connect = jest.spyOn(proxyAware, 'createConnection');
    http.globalAgent = proxyAware;
    try {
      await get('/2.0/user', deadline(2000));
    } finally {
      http.globalAgent = original;
      proxyAware.destroy();
    }
    expect(connect).toHaveBeenCalledTimes(1);
  });

  it('stops an answer that stalls halfway once the deadline passes', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"uuid":'); // and nothing more
    };
    const within = deadline(200);
    const started = Date.now();
    await expect(get('/2.0/user', within)).rejects.toThrow();
    expect(within.expired).toBe(true);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('stops a request that is never answered once the deadline passes', async () => {
    handler = () => {}; // never answers
    const within = deadline(200);
    await expect(get('/2.0/user', within)).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(within.expired).toBe(true);
  });

  it('cancel() stops the requests still in flight, and is not a timeout', async () => {
    handler = () => {};
    const within = deadline(5000);
    const waiting = get('/2.0/user/emails', within);
    await new Promise(resolve => setTimeout(resolve, 50));
    within.cancel();
    await expect(waiting).rejects.toThrow();
    expect(within.stopped).toBe(true);
    expect(within.expired).toBe(false);
  });

  it('fails a request sent after its deadline was stopped, without sending it', async () => {
    let received = 0;
    handler = (_req, res) => {
      received++;
      res.end('{}');
    };
    const within = deadline(5000);
    within.cancel();
    await expect(get('/2.0/user', within)).rejects.toThrow();
    expect(received).toBe(0);
  });
});
