/**
 * The two modules' own work, without a backend around them: how much CPU one
 * Bitbucket callback (code exchange and profile calls) costs each module, in
 * one child process, alternating. End-to-end rows carry the catalog, token
 * issuance and HTTP serving too, and with them more noise than this
 * difference; this row isolates the code that differs between the backends.
 */
import type { BitbucketSimulator } from '@bitbucket-signin/bitbucket-cloud-simulator';
import { fork } from 'node:child_process';
import { benchUsers } from './driver';
import type { BackendName } from './processes';

export interface ModuleCostRequest {
  simulatorUrl: string;
  consumers: Record<
    BackendName,
    { key: string; secret: string; callbackUrl: string }
  >;
  /** Callbacks per module before measuring, not counted */
  warmUp: number;
  rounds: number;
  perRound: number;
  concurrency: number;
}

export type ModuleCostMessage =
  | { type: 'codes'; backend: BackendName; count: number }
  | { type: 'done'; perCallbackUs: Record<BackendName, number[]> }
  | { type: 'failed'; message: string };

/** CPU µs per callback of each round, per module, in ABBA order */
export type ModuleCost = Record<BackendName, number[]>;

export async function measureModuleCost(
  simulator: BitbucketSimulator,
  request: ModuleCostRequest,
  maxMs: number,
): Promise<ModuleCost> {
  const child = fork(require.resolve('./moduleCostChild.ts'), [], {
    env: { ...process.env, BENCH_MODULE_COST: JSON.stringify(request) },
    execArgv: [
      '--require',
      require.resolve('@backstage/cli/config/nodeTransform.cjs'),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let mintedUsers = 0;
  const consentUrl = (name: BackendName) => {
    const { key, callbackUrl } = request.consumers[name];
    return `${
      simulator.url
    }/site/oauth2/authorize?client_id=${key}&response_type=code&state=bench&redirect_uri=${encodeURIComponent(
      callbackUrl,
    )}`;
  };
  try {
    return await new Promise<ModuleCost>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`module cost: not done within ${maxMs} ms`)),
        maxMs,
      );
      child.on('exit', code => {
        clearTimeout(timer);
        reject(new Error(`module cost: the child exited (${code})`));
      });
      child.on('message', async (message: ModuleCostMessage) => {
        if (message.type === 'codes') {
          const codes: string[] = [];
          for (let i = 0; i < message.count; i++) {
            const user = benchUsers[mintedUsers++ % benchUsers.length];
            const callback = new URL(
              await simulator.approve(
                consentUrl(message.backend),
                user.username,
              ),
            );
            codes.push(callback.searchParams.get('code')!);
          }
          child.send({ codes });
        } else if (message.type === 'done') {
          clearTimeout(timer);
          resolve(message.perCallbackUs);
        } else if (message.type === 'failed') {
          clearTimeout(timer);
          reject(new Error(`module cost: ${message.message}`));
        } // else the TypeScript loader's own { type: 'watch' } messages
      });
    });
  } finally {
    child.kill('SIGKILL');
  }
}
