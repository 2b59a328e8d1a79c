import http from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * A stand-in for one Bitbucket host on 127.0.0.1 and a free port, for the
 * transport tests. `stop` also cuts connections left open on purpose (hangs).
 */
export async function startLoopbackServer(
  listener: http.RequestListener,
): Promise<{ url: string; stop(): Promise<void> }> {
  const server = http.createServer(listener);
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise(resolve => server.close(resolve));
    },
  };
}
