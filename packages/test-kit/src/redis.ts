import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './freePort';

/**
 * A throwaway Redis server, the store a deployment of several replicas shares
 * through `backend.cache`: Debian's `redis-server` on 127.0.0.1 and a free
 * port, in memory only.
 */
export interface TestRedis {
  /** e.g. `redis://127.0.0.1:6390`, for `backend.cache.connection` */
  url: string;
  stop(): Promise<void>;
}

export async function startTestRedis(): Promise<TestRedis> {
  const port = await freePort();
  const server = spawn(
    process.env.REDIS_SERVER ?? 'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { stdio: 'ignore' },
  );
  const failed = once(server, 'error').then(([error]) => {
    throw new Error(
      `redis-server could not be started (${error.message}); install Debian's package with \`apt-get install -y redis-server\``,
    );
  });
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGKILL');
      await once(server, 'exit');
    }
  };
  for (let attempt = 0; attempt < 100; attempt++) {
    const up = await Promise.race([answersPing(port), failed]);
    if (up) {
      return { url: `redis://127.0.0.1:${port}`, stop };
    }
    await sleep(50);
  }
  await stop();
  throw new Error(`redis-server did not answer on 127.0.0.1:${port}`);
}

function answersPing(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('error', () => resolve(false));
    socket.once('data', data => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('connect', () => socket.write('PING\r\n'));
  });
}
