import {
  BitbucketSimulator,
  startBitbucketSimulator,
} from '@bitbucket-signin/bitbucket-cloud-simulator';

/**
 * The simulator with the OAuth consumer that app-config.simulator.yaml names,
 * calling back to a backend at `backendBaseUrl` (e.g. `http://localhost:7007`).
 * alice-bb, an owner of acme, owns it, so the org provider can read acme.
 */
export function startSimulatedBitbucket(
  backendBaseUrl: string,
): Promise<BitbucketSimulator> {
  return startBitbucketSimulator({
    consumers: [
      {
        key: 'simulator-client-id',
        secret: 'simulator-client-secret',
        callbackUrl: `${backendBaseUrl}/api/auth/bitbucket/handler/frame`,
        scopes: ['account', 'email'],
        isPrivate: true,
        workspace: 'acme',
      },
    ],
  });
}

/**
 * What a test backend needs after app-config.yaml and app-config.simulator.yaml:
 * its free port on loopback, and this simulator's URLs in place of :7010
 */
export function simulatedBitbucketConfig(
  simulator: BitbucketSimulator,
  port: number,
) {
  const { authorizationUrl, tokenUrl, apiBaseUrl } = simulator;
  return {
    backend: {
      baseUrl: `http://localhost:${port}`,
      listen: { port, host: '127.0.0.1' },
    },
    auth: {
      providers: {
        bitbucket: {
          development: { authorizationUrl, tokenUrl, apiBaseUrl },
        },
      },
    },
    catalog: {
      providers: { bitbucketCloudOrg: { acme: { tokenUrl, apiBaseUrl } } },
    },
  };
}
