/**
 * What the bench compares: two backends that differ only in their Bitbucket
 * module, and the variants measured on them. A variant is one auth
 * environment of one backend (`?env=` on the start URL), so ours with the
 * workspace allow-list runs in the same process as ours without it.
 */
import type { SimulatorConsumer } from '@bitbucket-signin/bitbucket-cloud-simulator';
import path from 'node:path';

export type BackendName = 'ours' | 'public';
export const backendNames: BackendName[] = ['ours', 'public'];
export const benchDir = path.dirname(require.resolve('../package.json'));

/** A simulator demo account and the catalog User it resolves to (bench/catalog.yaml) */
export type BenchUser = { username: string; entityRef: string };
const user = (name: string) => ({
  username: `${name}-bb`,
  entityRef: `user:default/${name}`,
});
export const benchUsers = 'alice bob carol mallory dave grace'
  .split(' ')
  .map(user);

export type VariantName = 'ours' | 'ours+acme' | 'public';
export interface Variant {
  name: VariantName;
  backend: BackendName;
  /** Its auth environment: `auth.providers.bitbucket.<env>` */
  env: string;
  /** That environment's settings besides the client, URLs and resolver */
  settings: { workspaces?: string[] };
  /** Who signs in, in rotation */
  users: BenchUser[];
}

const plain = { env: 'development', settings: {}, users: benchUsers };
export const variants: Record<VariantName, Variant> = {
  ours: { name: 'ours', backend: 'ours', ...plain },
  // issue 19: what the allow-list's call, beside the profile calls, adds to the wait
  'ours+acme': {
    name: 'ours+acme',
    backend: 'ours',
    env: 'acme',
    settings: { workspaces: ['acme'] },
    users: ['alice', 'bob', 'carol', 'dave'].map(user), // acme's members
  },
  public: { name: 'public', backend: 'public', ...plain },
  // metrics are on in every backend: see backendMain.ts
};

/** The variants of the latency phases, in ABBA order */
export const latencyVariants = Object.values(variants);

/**
 * Token and API calls one sign-in makes, from the variant's config. Ours
 * exchanges the code, then asks at once for the user, the emails and, with an
 * allow-list, the caller's permission in each listed workspace; the public
 * module exchanges the code and asks for the user. A backend that ran the
 * other module, or another process on its port, shows up here.
 */
export function expectedCallsPerSignIn(variant: Variant): number {
  if (variant.backend === 'public') return 2;
  return 3 + (variant.settings.workspaces?.length ?? 0);
}

const CLIENT_SECRET = 'bench-client-secret';

/** Each variant has an OAuth consumer of its own */
export function consumerOf(variant: Variant, port: number): SimulatorConsumer {
  // since 2026 the allow-list needs no permission beyond "Account: Read"
  return {
    key: `bench-${variant.backend}-${variant.env}`,
    secret: CLIENT_SECRET,
    callbackUrl: `http://127.0.0.1:${port}/api/auth/bitbucket/handler/frame`,
    scopes: ['account', 'email'],
  };
}

/** A backend's config: its port, and an auth environment per variant on it */
export function backendConfig(
  backend: BackendName,
  port: number,
  simulatorUrl: string,
) {
  const environment = (variant: Variant) => ({
    clientId: consumerOf(variant, port).key,
    clientSecret: CLIENT_SECRET,
    // read by our module; the public one has no such settings and
    // reaches the simulator through routeToSimulator.ts
    authorizationUrl: `${simulatorUrl}/site/oauth2/authorize`,
    tokenUrl: `${simulatorUrl}/site/oauth2/access_token`,
    apiBaseUrl: `${simulatorUrl}/2.0`,
    ...variant.settings,
    signIn: { resolvers: [{ resolver: 'userIdMatchingUserEntityAnnotation' }] },
  });
  const mine = Object.values(variants).filter(v => v.backend === backend);
  return {
    app: { baseUrl: 'http://localhost:3000' },
    backend: {
      baseUrl: `http://127.0.0.1:${port}`,
      listen: { port, host: '127.0.0.1' },
      database: { client: 'better-sqlite3', connection: ':memory:' },
    },
    auth: {
      environment: 'development',
      providers: {
        bitbucket: Object.fromEntries(mine.map(v => [v.env, environment(v)])),
      },
    },
    catalog: {
      // read once at startup; no re-processing during the run
      processingInterval: { minutes: 30 },
      rules: [{ allow: ['User', 'Group'] }],
      locations: [
        { type: 'file', target: path.join(benchDir, 'catalog.yaml') },
      ],
    },
  };
}
