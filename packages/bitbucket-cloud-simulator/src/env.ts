import { demoConsumer } from './demoData';
import { SimulatorConsumer, SimulatorOptions } from './types';

/** What the CLI starts the simulator with: one consumer */
export type CliSimulatorOptions = SimulatorOptions & {
  port: number;
  host: string;
  consumers: [SimulatorConsumer];
};

/** The CLI's default port */
export const DEFAULT_CLI_PORT = 7010;

function integer(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name]?.trim();
  if (!text) {
    return undefined;
  }
  if (!/^\d+$/.test(text)) {
    throw new TypeError(
      `${name} must be a non-negative integer, got "${text}"`,
    );
  }
  return Number(text);
}

/**
 * The options the CLI starts the simulator with, from environment variables
 * (all optional):
 *
 * - `BITBUCKET_SIMULATOR_PORT` (7010), `BITBUCKET_SIMULATOR_HOST` (127.0.0.1)
 * - `BITBUCKET_SIMULATOR_CLIENT_ID`, `BITBUCKET_SIMULATOR_CLIENT_SECRET`,
 *   `BITBUCKET_SIMULATOR_CALLBACK_URL`, `BITBUCKET_SIMULATOR_SCOPES`
 *   (comma or space separated): the one OAuth consumer, default {@link demoConsumer}
 *   (private, added in the acme workspace)
 * - `BITBUCKET_SIMULATOR_LATENCY_MS`, `BITBUCKET_SIMULATOR_ACCESS_TOKEN_TTL_SECONDS`
 */
export function simulatorOptionsFromEnv(
  env: NodeJS.ProcessEnv,
): CliSimulatorOptions {
  const port = integer(env, 'BITBUCKET_SIMULATOR_PORT') ?? DEFAULT_CLI_PORT;
  if (port > 65535) {
    throw new TypeError(`BITBUCKET_SIMULATOR_PORT must be at most 65535`);
  }
  const scopes =
    env.BITBUCKET_SIMULATOR_SCOPES?.split(/[\s,]+/).filter(Boolean);
  return {
    port,
    host: env.BITBUCKET_SIMULATOR_HOST?.trim() || '127.0.0.1',
    consumers: [
      {
        ...demoConsumer,
        key: env.BITBUCKET_SIMULATOR_CLIENT_ID || demoConsumer.key,
        secret: env.BITBUCKET_SIMULATOR_CLIENT_SECRET || demoConsumer.secret,
        callbackUrl:
          env.BITBUCKET_SIMULATOR_CALLBACK_URL || demoConsumer.callbackUrl,
        scopes: scopes?.length ? scopes : [...demoConsumer.scopes],
      },
    ],
    latencyMs: integer(env, 'BITBUCKET_SIMULATOR_LATENCY_MS'),
    accessTokenTtlSeconds: integer(
      env,
      'BITBUCKET_SIMULATOR_ACCESS_TOKEN_TTL_SECONDS',
    ),
  };
}
