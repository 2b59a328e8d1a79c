import http from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * A stand-in for a misbehaving Bitbucket on 127.0.0.1 and a free port, for
 * answers the simulator does not give. `stop` also cuts open connections.
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
