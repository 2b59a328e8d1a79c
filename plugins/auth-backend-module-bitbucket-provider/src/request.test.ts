import { execFile } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { promisify } from 'node:util';
import { startLoopbackServer } from './__testUtils__/loopbackServer';
import { requestBitbucket, stepSignal, timedOut } from './request';

const execFileAsync = promisify(execFile);

describe('requestBitbucket', () => {
  let server: Awaited<ReturnType<typeof startLoopbackServer>>;
  let handler: http.RequestListener;

  beforeAll(async () => {
    server = await startLoopbackServer((req, res) => handler(req, res));
  });

  afterAll(() => server.stop());

  const get = (
    signal: AbortSignal,
    maxAnswerBytes = 1024 * 1024,
    path = '/2.0/user',
  ) =>
    requestBitbucket(
      `${server.url}${path}`,
      { method: 'GET', headers: { accept: 'application/json' } },
      { signal, maxAnswerBytes },
    );

  it('reads the whole answer, its status and a Retry-After', async () => {
    handler = (_req, res) => {
      res.writeHead(429, { 'retry-after': '30' });
      res.write('{"type":"error",');
      setTimeout(() => res.end('"error":{"message":"slow down"}}'), 20);
    };
    await expect(get(AbortSignal.timeout(2000))).resolves.toEqual({
      status: 429,
      retryAfter: '30',
      text: '{"type":"error","error":{"message":"slow down"}}',
    });
  });

  it("goes through a proxy set up as Backstage documents it (undici's EnvHttpProxyAgent)", async () => {
    handler = (req, res) => res.end(`{"path":"${req.url}"}`);
    // a forward proxy: undici tunnels through it with CONNECT
    const tunnels: string[] = [];
    const proxy = http.createServer((_req, res) => res.writeHead(405).end());
    proxy.on('connect', (req, client: net.Socket, head) => {
      tunnels.push(req.url!);
      const [host, port] = req.url!.split(':');
      const upstream = net.connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client).pipe(upstream);
      });
    });
    await new Promise<void>(resolve => proxy.listen(0, '127.0.0.1', resolve));
    const proxyUrl = `http://127.0.0.1:${
      (proxy.address() as net.AddressInfo).port
    }`;
    try {
      // Jest gives each test file globals of its own, so the setup runs where
      // it would in a backend: in a Node process of its own.
      const script = `
        const { EnvHttpProxyAgent, setGlobalDispatcher } = require('undici');
        setGlobalDispatcher(new EnvHttpProxyAgent());
        import(${JSON.stringify(require.resolve('./request.ts'))})
          .then(({ requestBitbucket }) => requestBitbucket(
            '${server.url}/2.0/user',
            { method: 'GET', headers: {} },
            { signal: AbortSignal.timeout(5000), maxAnswerBytes: 1024 },
          ))
          .then(answer => process.stdout.write(answer.text));
      `;
      const { stdout } = await execFileAsync(
        process.execPath,
        ['--no-warnings', '--experimental-strip-types', '-e', script],
        {
          cwd: __dirname,
          env: { ...process.env, HTTP_PROXY: proxyUrl, NO_PROXY: '' },
        },
      );
      expect(stdout).toBe('{"path":"/2.0/user"}');
      expect(tunnels).toEqual([new URL(server.url).host]);
    } finally {
      proxy.closeAllConnections();
      await new Promise(resolve => proxy.close(resolve));
    }
  }, 15_000);

  it('stops an answer that stalls halfway once the time limit passes', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"uuid":'); // and nothing more
    };
    const { signal } = stepSignal(200);
    const started = Date.now();
    await expect(get(signal)).rejects.toThrow();
    expect(timedOut(signal)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('stops a request that is never answered once the time limit passes', async () => {
    handler = () => {}; // never answers
    const { signal } = stepSignal(200);
    await expect(get(signal)).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(timedOut(signal)).toBe(true);
  });

  it('cancel() stops the requests still in flight, and is not a timeout', async () => {
    handler = () => {};
    const step = stepSignal(5000);
    const waiting = get(step.signal);
    await new Promise(resolve => setTimeout(resolve, 50));
    step.cancel();
    await expect(waiting).rejects.toThrow();
    expect(step.signal.aborted).toBe(true);
    expect(timedOut(step.signal)).toBe(false);
  });

  it('fails a request sent after its step was cancelled, without sending it', async () => {
    let received = 0;
    handler = (_req, res) => {
      received++;
      res.end('{}');
    };
    const step = stepSignal(5000);
    step.cancel();
    await expect(get(step.signal)).rejects.toThrow();
    expect(received).toBe(0);
  });

  it('refuses an answer whose declared length is over the cap, without reading it', async () => {
    let closed = false;
    handler = (req, res) => {
      res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) });
      res.write('{"values":[');
      req.socket.on('close', () => (closed = true));
    };
    const signal = AbortSignal.timeout(5000);
    const started = Date.now();
    await expect(get(signal, 64 * 1024)).rejects.toMatchObject({
      name: 'AnswerTooLarge',
      message: expect.stringContaining('more than 65536 bytes'),
    });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(signal.aborted).toBe(false);
    await waitFor(() => closed);
  });

  it('stops an endless answer once it passes the cap, long before the time limit', async () => {
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
    const started = Date.now();
    await expect(get(AbortSignal.timeout(10_000))).rejects.toMatchObject({
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
    await expect(get(AbortSignal.timeout(2000), 1024)).resolves.toMatchObject({
      status: 200,
      text: body,
    });
  });

  it('never follows a redirect, which could carry the token elsewhere', async () => {
    let followed = false;
    handler = (req, res) => {
      if (req.url === '/elsewhere') {
        followed = true;
        res.end('{}');
        return;
      }
      res.writeHead(302, { location: `${server.url}/elsewhere` });
      res.end();
    };
    await expect(get(AbortSignal.timeout(2000))).resolves.toMatchObject({
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
