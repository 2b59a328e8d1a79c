import { BackendFeature, ServiceFactory } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import authPlugin from '@backstage/plugin-auth-backend';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Entity } from '@backstage/catalog-model';
import {
  BitbucketSimulator,
  SimulatorConsumer,
} from '@bitbucket-signin/bitbucket-cloud-simulator';
import { createTestDatabase } from '@bitbucket-signin/test-kit';
import { AddressInfo } from 'node:net';
import { authModuleBitbucketProvider } from '../module';

export const CALLBACK_URL =
  'http://localhost:7007/api/auth/bitbucket/handler/frame';

/** The OAuth consumer of one test file, registered in its simulator */
export function testConsumer(
  name: string,
  scopes: string[] = ['account', 'email'],
): SimulatorConsumer {
  return {
    key: `${name}-client`,
    secret: `${name}-client-secret`,
    callbackUrl: CALLBACK_URL,
    scopes,
  };
}

/** A User in the mock catalog, with the memberOf relation the catalog would derive */
export function userEntity(
  name: string,
  spec: object = {},
  annotations: Record<string, string> = {},
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name, namespace: 'default', annotations },
    spec: { memberOf: ['platform'], ...spec },
    // the mock catalog does not derive relations; ownership refs come from them
    relations: [{ type: 'memberOf', targetRef: 'group:default/platform' }],
  };
}

/** alice, whom the email resolver finds by alice-bb's confirmed address */
export const aliceByEmail = {
  entities: [userEntity('alice', { profile: { email: 'alice@example.com' } })],
  signIn: { resolvers: [{ resolver: 'emailMatchingUserEntityProfileEmail' }] },
};

/** The real auth plugin with this module, a mock catalog, and the provider pointed at the simulator */
export async function startAuthBackend(options: {
  simulator: BitbucketSimulator;
  consumer: SimulatorConsumer;
  entities: Entity[];
  providerConfig?: Record<string, unknown>;
  /** e.g. another auth provider module */
  extraFeatures?: Parameters<typeof startTestBackend>[0]['features'];
  /** The Bitbucket provider module; default this package's */
  module?: BackendFeature;
  /** Default: a catalog holding `entities` */
  catalog?: ServiceFactory;
}) {
  const { simulator, consumer, entities, providerConfig } = options;
  const database = createTestDatabase();
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  try {
    backend = await startTestBackend({
      features: [
        database.factory,
        ...(options.extraFeatures ?? []),
        authPlugin,
        options.module ?? authModuleBitbucketProvider,
        options.catalog ?? catalogServiceMock.factory({ entities }),
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://localhost:3000' },
            auth: {
              providers: {
                bitbucket: {
                  development: {
                    clientId: consumer.key,
                    clientSecret: consumer.secret,
                    callbackUrl: CALLBACK_URL,
                    authorizationUrl: simulator.authorizationUrl,
                    tokenUrl: simulator.tokenUrl,
                    apiBaseUrl: simulator.apiBaseUrl,
                    ...providerConfig,
                  },
                },
              },
            },
          },
        }),
      ],
    });
  } catch (error) {
    await database.destroy();
    throw error;
  }
  return {
    backendUrl: `http://127.0.0.1:${
      (backend.server.address() as AddressInfo).port
    }`,
    async stop() {
      await backend.stop();
      await database.destroy();
    },
  };
}
