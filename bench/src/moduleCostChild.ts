/**
 * Child process of moduleCost.ts: both modules' authenticators in one
 * process, handling Bitbucket callbacks (code exchange and profile calls)
 * against the simulator in alternating rounds, with this process's CPU time
 * per callback.
 */
import { ConfigReader } from '@backstage/config';
import { bitbucketAuthenticator } from '@backstage/plugin-auth-backend-module-bitbucket-provider';
import { createBitbucketAuthenticator } from '@bitbucket-signin/plugin-auth-backend-module-bitbucket-provider';
import type { ModuleCost, ModuleCostRequest } from './moduleCost';
import { abba } from './plan';
import { routeBitbucketCloudToSimulator } from './routeToSimulator';
import { BackendName, backendNames, consumerOf, variants } from './variants';

const authenticators: Record<BackendName, any> = {
  ours: createBitbucketAuthenticator(),
  public: bitbucketAuthenticator,
};

/** `authenticate` as the auth framework calls it on Bitbucket's redirect back */
function callbackHandler(name: BackendName, request: ModuleCostRequest) {
  const { simulatorUrl: simulator } = request;
  const { key, secret, callbackUrl } = consumerOf(
    variants[name],
    request.ports[name],
  );
  const context = authenticators[name].initialize({
    callbackUrl,
    // the URLs are read by our module only; the public one is routed
    config: new ConfigReader({
      clientId: key,
      clientSecret: secret,
      authorizationUrl: `${simulator}/site/oauth2/authorize`,
      tokenUrl: `${simulator}/site/oauth2/access_token`,
      apiBaseUrl: `${simulator}/2.0`,
    }),
  });
  return async (code: string) => {
    const query = { code, state: 'bench' };
    const url = `/api/auth/bitbucket/handler/frame?code=${code}&state=bench`;
    const req = { url, query, method: 'GET', headers: {} };
    const result = await authenticators[name].authenticate({ req }, context);
    if (!result?.fullProfile) throw new Error(`${name}: no profile`);
  };
}

async function measure(request: ModuleCostRequest): Promise<ModuleCost> {
  routeBitbucketCloudToSimulator(request.simulatorUrl);
  const { warmUp, rounds, perRound, concurrency } = request.plan;
  const handle = {
    ours: callbackHandler('ours', request),
    public: callbackHandler('public', request),
  };
  /** CPU µs of this process per callback, `concurrency` callbacks in flight */
  const round = async (name: BackendName, count: number) => {
    const codes = request.codes[name].splice(0, count);
    const before = process.cpuUsage();
    const worker = async () => {
      for (let code = codes.shift(); code; code = codes.shift()) {
        await handle[name](code);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const cpu = process.cpuUsage(before);
    return (cpu.user + cpu.system) / count;
  };
  // the JIT needs more than a few hundred callbacks before figures settle
  for (const name of backendNames) await round(name, warmUp);
  const perCallbackUs: ModuleCost = { ours: [], public: [] };
  for (let r = 0; r < rounds; r++) {
    for (const name of abba(backendNames, r)) {
      perCallbackUs[name].push(await round(name, perRound));
    }
  }
  return perCallbackUs;
}

// kept-alive connections would hold the process open: it exits once reported
process.once('message', (request: ModuleCostRequest) =>
  measure(request).then(
    perCallbackUs =>
      process.send!({ type: 'done', perCallbackUs }, () => process.exit(0)),
    error => {
      const message = String(error?.stack ?? error);
      process.send!({ type: 'failed', message }, () => process.exit(1));
    },
  ),
);
process.send!({ type: 'ready' });
