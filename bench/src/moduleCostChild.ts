/**
 * Child process of moduleCost.ts: both modules' authenticators in one
 * process, each handling Bitbucket callbacks (code exchange and profile
 * calls) against the simulator in alternating rounds, with this process's
 * CPU time per callback. Codes come from the parent, which holds the
 * simulator, so the simulator's work is not counted here.
 */
import { ConfigReader } from '@backstage/config';
import { bitbucketAuthenticator } from '@backstage/plugin-auth-backend-module-bitbucket-provider';
import { createBitbucketAuthenticator } from '@bitbucket-signin/plugin-auth-backend-module-bitbucket-provider';
import type { BackendName } from './processes';
import { routeBitbucketCloudToSimulator } from './routeToSimulator';
import type { ModuleCostRequest, ModuleCostMessage } from './moduleCost';

const { simulatorUrl, consumers, warmUp, rounds, perRound, concurrency } =
  JSON.parse(process.env.BENCH_MODULE_COST!) as ModuleCostRequest;
routeBitbucketCloudToSimulator(simulatorUrl);

const config = (name: BackendName) =>
  new ConfigReader({
    clientId: consumers[name].key,
    clientSecret: consumers[name].secret,
    // read by our module only; the public one reaches the simulator through the hook
    authorizationUrl: `${simulatorUrl}/site/oauth2/authorize`,
    tokenUrl: `${simulatorUrl}/site/oauth2/access_token`,
    apiBaseUrl: `${simulatorUrl}/2.0`,
  });

const ours = createBitbucketAuthenticator();
const oursContext = ours.initialize({
  callbackUrl: consumers.ours.callbackUrl,
  config: config('ours'),
});
const publicContext = bitbucketAuthenticator.initialize({
  callbackUrl: consumers.public.callbackUrl,
  config: config('public'),
});

/** What the auth framework hands an authenticator for Bitbucket's redirect back */
function callbackRequest(code: string) {
  return {
    url: `/api/auth/bitbucket/handler/frame?code=${code}&state=bench`,
    query: { code, state: 'bench' },
    method: 'GET',
    headers: {},
  } as never;
}

const authenticate: Record<BackendName, (code: string) => Promise<unknown>> = {
  ours: code => ours.authenticate({ req: callbackRequest(code) }, oursContext),
  public: code =>
    bitbucketAuthenticator.authenticate(
      { req: callbackRequest(code) },
      publicContext,
    ),
};

function codesFor(name: BackendName, count: number): Promise<string[]> {
  return new Promise(resolve => {
    process.once('message', (message: { codes: string[] }) =>
      resolve(message.codes),
    );
    const request: ModuleCostMessage = { type: 'codes', backend: name, count };
    process.send!(request);
  });
}

/** CPU µs of this process per callback, `concurrency` callbacks in flight */
async function round(name: BackendName, codes: string[]) {
  let next = 0;
  const before = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < codes.length) {
        const result = (await authenticate[name](codes[next++])) as {
          fullProfile?: unknown;
        };
        if (!result?.fullProfile) {
          throw new Error(`${name}: a callback returned no profile`);
        }
      }
    }),
  );
  const cpu = process.cpuUsage(before);
  return (cpu.user + cpu.system) / codes.length;
}

async function main() {
  const names: BackendName[] = ['ours', 'public'];
  // the JIT needs more than a few hundred callbacks before figures settle
  for (let done = 0; done < warmUp; done += perRound) {
    for (const name of names) {
      await round(name, await codesFor(name, perRound));
    }
  }
  const perCallbackUs: Record<BackendName, number[]> = { ours: [], public: [] };
  for (let r = 0; r < rounds; r++) {
    for (const name of r % 2 === 0 ? names : [...names].reverse()) {
      const codes = await codesFor(name, perRound);
      perCallbackUs[name].push(await round(name, codes));
    }
  }
  return perCallbackUs;
}

// kept-alive connections would hold the process open: exit once reported
main().then(
  perCallbackUs =>
    process.send!({ type: 'done', perCallbackUs }, () => process.exit(0)),
  error =>
    process.send!(
      { type: 'failed', message: String(error?.stack ?? error) },
      () => process.exit(1),
    ),
);
