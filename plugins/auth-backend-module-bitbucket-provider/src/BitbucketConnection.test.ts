import http from 'node:http';
import { BitbucketConnection } from './BitbucketConnection';
import { Deadline } from './deadline';
import { startLoopbackServer } from '@bitbucket-signin/test-kit';

describe('BitbucketConnection', () => {
  let server: Awaited<ReturnType<typeof startLoopbackServer>>;
  let baseUrl: string;
  let handler: http.RequestListener;
  const deadlines: Deadline[] = [];

  beforeAll(async () => {
    server = await startLoopbackServer((req, res) => handler(req, res));
    baseUrl = server.url;
  });

  afterEach(() => deadlines.splice(0).forEach(created => created.clear()));

  afterAll(() => server.stop());

  function deadline(ms: number) {
    const created = new Deadline(ms);
    deadlines.push(created);
    return created;
  }

  const get = (path: string, within: Deadline, maxAnswerBytes = 1024 * 1024) =>
    new BitbucketConnection(`${baseUrl}/2.0`, { maxAnswerBytes }).send(
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
      body: { type: 'error', error: { message: 'slow down' } },
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

  it('refuses an answer whose declared length is over the cap, without reading it', async () => {
    let closed = false;
    handler = (req, res) => {
      res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) });
      res.write('{"values":[');
      req.socket.on('close', () => (closed = true));
    };
    const within = deadline(5000);
    const started = Date.now();
    await expect(get('/2.0/user', within, 64 * 1024)).rejects.toMatchObject({
      name: 'AnswerTooLarge',
      message: expect.stringContaining('more than 65536 bytes'),
    });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(within.expired).toBe(false);
    await waitFor(() => closed);
  });

  it('stops an endless answer once it passes the cap, long before the deadline', async () => {
    let sent = 0;
    let closed = false;
    handler = (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = () => {
        while (!closed && res.write(chunk)) sent += chunk.length;
        if (!closed) res.once('drain', pump);
      };
      req.socket.on('close', () => (closed = true));
      pump();
    };
    const within = deadline(10_000);
    const started = Date.now();
    await expect(get('/2.0/user', within)).rejects.toMatchObject({
      name: 'AnswerTooLarge',
    });
    expect(Date.now() - started).toBeLessThan(2000);
    await waitFor(() => closed);
    // the socket buffers a little more than was read; nowhere near unbounded
    expect(sent).toBeLessThan(16 * 1024 * 1024);
  });

  it('reads an answer of exactly the cap', async () => {
    const body = `"${'y'.repeat(1022)}"`; // 1024 bytes
    handler = (_req, res) => res.end(body);
    await expect(get('/2.0/user', deadline(2000), 1024)).resolves.toMatchObject(
      { status: 200, body: 'y'.repeat(1022) },
    );
  });

  it('never follows a redirect, which could carry the token elsewhere', async () => {
    let followed = false;
    handler = (req, res) => {
      if (req.url === '/elsewhere') {
        followed = true;
        res.end('{}');
        return;
      }
      res.writeHead(302, { location: `${baseUrl}/elsewhere` });
      res.end();
    };
    await expect(get('/2.0/user', deadline(2000))).resolves.toMatchObject({
      status: 302,
    });
    expect(followed).toBe(false);
  });
});

async function waitFor(condition: () => boolean) {
  for (let i = 0; i < 100 && !condition(); i++) {
    await new Promise(resolve => setTimeout(resolve, 10));
  }
  expect(condition()).toBe(true);
}
