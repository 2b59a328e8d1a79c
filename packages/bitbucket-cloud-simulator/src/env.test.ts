import { demoConsumer } from './demoData';
import { simulatorOptionsFromEnv } from './env';

describe('simulatorOptionsFromEnv', () => {
  it('defaults to 127.0.0.1:7010 and the demo consumer', () => {
    expect(simulatorOptionsFromEnv({})).toEqual({
      port: 7010,
      host: '127.0.0.1',
      consumers: [demoConsumer],
      latencyMs: undefined,
      accessTokenTtlSeconds: undefined,
    });
  });

  it('reads every knob', () => {
    expect(
      simulatorOptionsFromEnv({
        BITBUCKET_SIMULATOR_PORT: '7999',
        BITBUCKET_SIMULATOR_HOST: '0.0.0.0',
        BITBUCKET_SIMULATOR_CLIENT_ID: 'id',
        BITBUCKET_SIMULATOR_CLIENT_SECRET: 'secret',
        BITBUCKET_SIMULATOR_CALLBACK_URL: 'http://localhost:7007/cb',
        BITBUCKET_SIMULATOR_SCOPES: 'account, email',
        BITBUCKET_SIMULATOR_LATENCY_MS: '25',
        BITBUCKET_SIMULATOR_ACCESS_TOKEN_TTL_SECONDS: '60',
      }),
    ).toEqual({
      port: 7999,
      host: '0.0.0.0',
      consumers: [
        {
          key: 'id',
          secret: 'secret',
          callbackUrl: 'http://localhost:7007/cb',
          scopes: ['account', 'email'],
          isPrivate: true,
          workspace: 'acme',
        },
      ],
      latencyMs: 25,
      accessTokenTtlSeconds: 60,
    });
  });

  it('rejects a port that is not a number', () => {
    expect(() =>
      simulatorOptionsFromEnv({ BITBUCKET_SIMULATOR_PORT: 'abc' }),
    ).toThrow('BITBUCKET_SIMULATOR_PORT must be a non-negative integer');
    expect(() =>
      simulatorOptionsFromEnv({ BITBUCKET_SIMULATOR_PORT: '70000' }),
    ).toThrow('at most 65535');
  });
});
