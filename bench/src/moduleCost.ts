/**
 * The two modules' own work, without a backend around them: the CPU one
 * Bitbucket callback (code exchange and profile calls) costs each module, in
 * one child process, alternating. End-to-end rows carry the catalog, token
 * issuance and HTTP serving too, and more noise than this difference; this
 * row isolates the code that differs between the backends.
 */
import type { BitbucketSimulator } from '@bitbucket-signin/bitbucket-cloud-simulator';
import { fork } from 'node:child_process';
import type { RunPlan } from './plan';
import * as bench from './variants';

/** CPU µs per callback of each round, per module, in ABBA order */
export type ModuleCost = Record<bench.BackendName, number[]>;

export interface ModuleCostRequest {
  plan: RunPlan['moduleCost'];
  simulatorUrl: string;
  ports: Record<bench.BackendName, number>;
  /** An authorization code for every callback, per module */
  codes: Record<bench.BackendName, string[]>;
}

export async function measureModuleCost(
  sim: BitbucketSimulator,
  ports: Record<bench.BackendName, number>,
  plan: RunPlan['moduleCost'],
): Promise<ModuleCost> {
  // minted here, before the child starts: the simulator's work stays out of
  // the child's CPU time
  const codes = { ours: [] as string[], public: [] as string[] };
  for (const name of bench.backendNames) {
    const { key, callbackUrl } = bench.consumerOf(
      bench.variants[name],
      ports[name],
    );
    const query = `client_id=${key}&response_type=code&state=bench`;
    const authorize = `${
      sim.authorizationUrl
    }?${query}&redirect_uri=${encodeURIComponent(callbackUrl)}`;
    for (let i = 0; i < plan.warmUp + plan.rounds * plan.perRound; i++) {
      const user = bench.benchUsers[i % bench.benchUsers.length].username;
      const callback = new URL(await sim.approve(authorize, user));
      codes[name].push(callback.searchParams.get('code')!);
    }
  }
  const request: ModuleCostRequest = {
    plan,
    simulatorUrl: sim.url,
    ports,
    codes,
  };
  const transform = require.resolve('@backstage/cli/config/nodeTransform.cjs');
  const child = fork(require.resolve('./moduleCostChild.ts'), [], {
    execArgv: ['--require', transform],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    return await new Promise<ModuleCost>((resolve, reject) => {
      const timeout = () => reject(new Error('not done within 30 s'));
      setTimeout(timeout, 30_000).unref();
      child.on('exit', code => reject(new Error(`the child exited (${code})`)));
      child.on('message', (message: { type?: string; [k: string]: any }) => {
        if (message.type === 'ready') child.send(request);
        if (message.type === 'done') resolve(message.perCallbackUs);
        if (message.type === 'failed') reject(new Error(message.message));
        // anything else is the TypeScript loader's own
      });
    });
  } finally {
    child.kill('SIGKILL');
  }
}
