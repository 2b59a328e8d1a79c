import { ConfigSources } from '@backstage/config-loader';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '../../..');

/** The config the backend reads from these files, with `env` for `${...}` */
async function readConfig(files: string[], env: Record<string, string>) {
  const config = await ConfigSources.toConfig(
    ConfigSources.defaultForTargets({
      rootDir: repoRoot,
      watch: false,
      targets: files.map(file => ({
        type: 'path' as const,
        target: path.join(repoRoot, file),
      })),
      substitutionFunc: async name => env[name],
    }),
  );
  config.close();
  return config;
}

const productionEnv = {
  APP_BASE_URL: 'http://localhost:7007',
  POSTGRES_HOST: '127.0.0.1',
  POSTGRES_PORT: '5432',
  POSTGRES_USER: 'postgres',
  POSTGRES_PASSWORD: 'your-password',
};

// docs/operations.md's "Try this repository's production setup locally" adds the simulator config
// after the production one, and nothing else
describe('the production setup, tried locally with the simulator', () => {
  it('signs in at the simulator through the production environment and its resolvers', async () => {
    const config = await readConfig(
      [
        'app-config.yaml',
        'app-config.production.yaml',
        'app-config.simulator.yaml',
      ],
      productionEnv,
    );
    expect(config.getString('auth.environment')).toBe('production');
    const bitbucket = config.getConfig('auth.providers.bitbucket.production');
    expect(bitbucket.getString('clientId')).toBe('simulator-client-id');
    expect(bitbucket.getString('clientSecret')).toBe('simulator-client-secret');
    expect(bitbucket.getString('tokenUrl')).toBe(
      'http://127.0.0.1:7010/site/oauth2/access_token',
    );
    expect(
      bitbucket
        .getConfigArray('signIn.resolvers')
        .map(resolver => resolver.getString('resolver')),
    ).toEqual([
      'userIdMatchingUserEntityAnnotation',
      'emailMatchingUserEntityProfileEmail',
    ]);
    // still production otherwise: PostgreSQL, one origin for app and API
    expect(config.getString('backend.database.client')).toBe('pg');
    expect(config.getString('app.baseUrl')).toBe('http://localhost:7007');
    expect(config.getString('backend.baseUrl')).toBe('http://localhost:7007');
  });

  it('never reaches the simulator without the simulator config', async () => {
    const config = await readConfig(
      ['app-config.yaml', 'app-config.production.yaml'],
      {
        ...productionEnv,
        AUTH_BITBUCKET_CLIENT_ID: 'key',
        AUTH_BITBUCKET_CLIENT_SECRET: 'secret',
      },
    );
    const bitbucket = config.getConfig('auth.providers.bitbucket.production');
    expect(bitbucket.getString('clientId')).toBe('key');
    expect(bitbucket.getOptionalString('tokenUrl')).toBeUndefined();
    expect(config.getOptionalConfig('catalog.providers')).toBeUndefined();
  });
});
