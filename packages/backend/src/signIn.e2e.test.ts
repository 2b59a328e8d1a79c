import {
  BitbucketSimulator,
  demoUsers,
} from '@bitbucket-signin/bitbucket-cloud-simulator';
import { bitbucketUserEntityName } from '@bitbucket-signin/plugin-bitbucket-cloud-common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import {
  decodeBackstageToken,
  freePort,
  refreshBackstageSession,
  signInThroughBackstage,
  simulatedBitbucketConfig,
  startSimulatedBitbucket,
  BackendProcess,
  startBackendProcess,
} from '@bitbucket-signin/test-kit';

jest.setTimeout(120_000);

const repoRoot = path.resolve(__dirname, '../../..');

/** The User the org provider made for a member of acme */
const orgUserRef = (username: string) =>
  `user:default/${bitbucketUserEntityName(
    demoUsers.find(u => u.username === username)!.uuid,
  )}`;

/**
 * The real packages/backend process, configured exactly as `yarn start` does
 * with the simulator, only on free ports.
 */
describe('packages/backend signing in against the Bitbucket simulator', () => {
  let simulator: BitbucketSimulator;
  let backend: BackendProcess;
  let backendUrl: string;
  let metricsUrl: string;
  let configDir: string;

  beforeAll(async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    backendUrl = `http://127.0.0.1:${port}`;
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    simulator = await startSimulatedBitbucket(`http://localhost:${port}`);
    configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'backend-e2e-'));
    const testConfig = path.join(configDir, 'app-config.test.yaml');
    fs.writeFileSync(
      testConfig,
      JSON.stringify(simulatedBitbucketConfig(simulator, port)),
    );
    backend = startBackendProcess({
      backendDir: path.join(repoRoot, 'packages/backend'),
      name: 'backend',
      port,
      configFiles: [
        path.join(repoRoot, 'app-config.yaml'),
        path.join(repoRoot, 'app-config.simulator.yaml'),
        testConfig,
      ],
      env: {
        NODE_ENV: 'development',
        LOG_LEVEL: 'info',
        // the docs' switch for metrics
        PROMETHEUS_METRICS_PORT: String(metricsPort),
      },
    });

    // Up once the org provider has brought acme's members into the catalog and alice can sign in
    const approveAsAlice = (url: string) => simulator.approve(url, 'alice-bb');
    const deadline = Date.now() + 90_000;
    for (;;) {
      try {
        const attempt = await signInThroughBackstage({
          backendUrl,
          consent: approveAsAlice,
        });
        if (attempt.response?.backstageIdentity) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline || !backend.running()) {
        throw new Error(`backend did not become ready:\n${backend.output()}`);
      }
      await new Promise(resolve => setTimeout(resolve, 500));
    }
  });

  afterAll(async () => {
    await backend?.stop();
    await simulator?.stop();
    fs.rmSync(configDir, { recursive: true, force: true });
  });

  // Runs first, before any test provokes a warning of its own
  it('starts without a warning: permissions are enabled, nothing is deprecated', () => {
    const warnings = backend
      .output()
      .split('\n')
      // the log is coloured
      .map(line => stripVTControlCharacters(line))
      .filter(line => /\bwarn\b/.test(line))
      // beforeAll's attempts to sign in before the org provider's first run
      .filter(line => !/alice-bb .* matches no User entity/.test(line));
    expect(warnings).toEqual([]);
  });

  // acme's members are in no hand-written file: the org provider made their Users
  it.each(
    ['alice-bb', 'bob-bb', 'dave-bb', 'carol-bb'].map(username => [
      username,
      orgUserRef(username),
    ]),
  )(
    'signs in %s as %s, by the user id the org provider annotated',
    async (username, entityRef) => {
      const outcome = await signInThroughBackstage({
        backendUrl,
        consent: url => simulator.approve(url, username),
      });
      expect(outcome.error).toBeUndefined();
      const token = outcome.response!.backstageIdentity!.token;
      expect(decodeBackstageToken(token).sub).toBe(entityRef);

      // the token is a real Backstage user token: the catalog accepts it
      const me = await fetch(
        `${backendUrl}/api/catalog/entities/by-name/${entityRef.replace(
          /^user:default\//,
          'user/default/',
        )}`,
        { headers: { authorization: `Bearer ${token}` } },
      );
      expect(me.status).toBe(200);
    },
  );

  it('signs in mallory-bb as herself, never as the alice@example.com she claims unconfirmed', async () => {
    const outcome = await signInThroughBackstage({
      backendUrl,
      consent: url => simulator.approve(url, 'mallory-bb'),
    });
    expect(
      decodeBackstageToken(outcome.response!.backstageIdentity!.token).sub,
    ).toBe('user:default/mallory');
  });

  it('refuses a Bitbucket user missing from the catalog, and logs what was tried once, at warn', async () => {
    const outcome = await signInThroughBackstage({
      backendUrl,
      consent: url => simulator.approve(url, 'grace-bb'),
    });
    expect(outcome.response).toBeUndefined();
    expect(outcome.error?.message).toContain(
      'Your Bitbucket account grace-bb is not in this Backstage catalog yet',
    );
    await new Promise(resolve => setTimeout(resolve, 200));
    const logLines = backend
      .output()
      .split('\n')
      .filter(line =>
        /warn.*Bitbucket user grace-bb \{[^}]+\} matches no User entity in the catalog/.test(
          line,
        ),
      );
    expect(logLines).toHaveLength(1);
    // every resolver configured said what it looked for
    expect(logLines[0]).toContain('bitbucket.org/user-id={f552451f-');
    expect(logLines[0]).toContain('spec.profile.email=grace@example.com');
  });

  it('refreshes a session through the refresh cookie', async () => {
    const first = await signInThroughBackstage({
      backendUrl,
      consent: url => simulator.approve(url, 'alice-bb'),
    });
    const refreshed = await refreshBackstageSession({
      backendUrl,
      cookies: first.cookies,
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.backstageIdentity.identity.userEntityRef).toBe(
      orgUserRef('alice-bb'),
    );
  });

  it('serves sign-in and org-sync metrics for Prometheus when PROMETHEUS_METRICS_PORT is set', async () => {
    const text = await (await fetch(metricsUrl)).text();
    expect(text).toMatch(
      /^auth_bitbucket_sign_ins_total\{[^}]*reason="ok"[^}]*\} [1-9]/m,
    );
    expect(text).toMatch(
      /^catalog_bitbucket_cloud_org_runs_total\{[^}]*provider="acme"[^}]*outcome="ok"[^}]*\} [1-9]/m,
    );
    expect(text).toMatch(/^catalog_bitbucket_cloud_org_last_success\{/m);
    expect(text).toMatch(
      /^bitbucket_request_duration_bucket\{[^}]*endpoint="\/user"[^}]*le="0.25"/m,
    );
    // the sign-ins of beforeAll, before the org provider's first run
    expect(text).toMatch(
      /^auth_bitbucket_sign_ins_total\{[^}]*reason="not_in_catalog"/m,
    );
    expect(text).not.toMatch(/reason="resolver_refused"/);
  });

  it('never writes the client secret, a token, an authorization code or a state to its log', async () => {
    let callbackQuery: URLSearchParams | undefined;
    const outcome = await signInThroughBackstage({
      backendUrl,
      consent: url => simulator.approve(url, 'alice-bb'),
      tamper: url => {
        callbackQuery = new URLSearchParams(url.search);
      },
    });
    const refreshed = await refreshBackstageSession({
      backendUrl,
      cookies: outcome.cookies,
    });
    expect(refreshed.status).toBe(200);
    // give the request log time to write the last lines
    await new Promise(resolve => setTimeout(resolve, 200));
    const log = backend.output();
    const refreshCookie = outcome.cookies.find(c => c.includes('refresh'));
    const secrets = {
      'client secret': 'simulator-client-secret',
      'authorization code': callbackQuery!.get('code')!,
      state: callbackQuery!.get('state')!,
      'Bitbucket access token': outcome.response!.providerInfo.accessToken,
      'Backstage token': outcome.response!.backstageIdentity!.token,
      'refresh cookie': refreshCookie!.slice(refreshCookie!.indexOf('=') + 1),
      'refreshed Backstage token': refreshed.body.backstageIdentity.token,
    };
    for (const [what, value] of Object.entries(secrets)) {
      expect(value.length).toBeGreaterThan(8);
      if (log.includes(value)) {
        throw new Error(`the backend log contains the ${what}`);
      }
    }
    // the request was logged, without its query
    expect(log).toMatch(/"GET \/api\/auth\/bitbucket\/handler\/frame HTTP/);
  });
});
