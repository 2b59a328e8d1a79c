import { parseArgs } from 'node:util';
import { CliSimulatorOptions, simulatorOptionsFromEnv } from './env';
import { startBitbucketSimulator } from './server';
import { BitbucketSimulator, SimulatorConsumer } from './types';

const USAGE = `Usage: npx @bitbucket-signin/bitbucket-cloud-simulator [options]

A local stand-in for Bitbucket Cloud's OAuth 2.0 and REST endpoints: sign in
to Backstage as a demo user, without a Bitbucket account.

Options:
  --port <port>          port to listen on (default 7010; 0 picks a free one)
  --host <host>          address to listen on (default 127.0.0.1)
  --callback-url <url>   the OAuth callback of your Backstage backend, registered
                         on the demo consumer (default
                         http://localhost:7007/api/auth/bitbucket/handler/frame)
  -h, --help             show this help

The BITBUCKET_SIMULATOR_* environment variables of the README still apply;
a flag wins over its variable.`;

/** What the command line asks for: the usage, or a simulator with these options */
export type CliRequest =
  | { help: true }
  | { help: false; options: CliSimulatorOptions };

function portFrom(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    throw new TypeError(
      `--port must be an integer from 0 to 65535, got "${text}"`,
    );
  }
  return port;
}

function callbackUrlFrom(text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    throw new TypeError(
      `--callback-url must be an absolute http(s) URL, got "${text}"`,
    );
  }
  return text;
}

/** Reads the flags over the environment variables; throws a TypeError saying what is wrong */
export function parseCliArgs(
  args: string[],
  env: NodeJS.ProcessEnv,
): CliRequest {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'callback-url': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    return { help: true };
  }
  const options = simulatorOptionsFromEnv(env);
  const [consumer] = options.consumers;
  const callbackUrl = values['callback-url'];
  return {
    help: false,
    options: {
      ...options,
      port: values.port === undefined ? options.port : portFrom(values.port),
      host: values.host ?? options.host,
      consumers: [
        callbackUrl === undefined
          ? consumer
          : { ...consumer, callbackUrl: callbackUrlFrom(callbackUrl) },
      ],
    },
  };
}

/** What an admin pastes into app-config to sign in against this simulator */
function configSnippet(sim: BitbucketSimulator, consumer: SimulatorConsumer) {
  return `Bitbucket Cloud simulator listening on ${sim.url}
Demo consumer: callback URL ${consumer.callbackUrl}, private, owned by workspace ${consumer.workspace}.

Paste into app-config.local.yaml (or app-config.yaml) to sign in as a demo user:

auth:
  providers:
    bitbucket:
      development:
        clientId: ${consumer.key}
        clientSecret: ${consumer.secret}
        authorizationUrl: ${sim.authorizationUrl}
        tokenUrl: ${sim.tokenUrl}
        apiBaseUrl: ${sim.apiBaseUrl}
backend:
  csp:
    # the demo users' avatars
    img-src: ["'self'", 'data:', '${sim.url}']

Stop with Ctrl+C.`;
}

/**
 * Options for {@link runSimulatorCli}.
 *
 * @public
 */
export interface SimulatorCliOptions {
  /** Command-line arguments, e.g. `process.argv.slice(2)` */
  args: string[];
  /** Environment variables, e.g. `process.env` */
  env: NodeJS.ProcessEnv;
  /** Where the usage or the config snippet goes, e.g. `console.log` */
  print(text: string): void;
}

/**
 * The `bitbucket-cloud-simulator` command: prints the usage for `--help`,
 * else starts the simulator and prints the app-config snippet that points
 * Backstage at it. Throws a TypeError for bad flags.
 *
 * @public
 */
export async function runSimulatorCli(
  options: SimulatorCliOptions,
): Promise<BitbucketSimulator | undefined> {
  const request = parseCliArgs(options.args, options.env);
  if (request.help) {
    options.print(USAGE);
    return undefined;
  }
  const sim = await startBitbucketSimulator(request.options);
  options.print(configSnippet(sim, request.options.consumers[0]));
  return sim;
}
