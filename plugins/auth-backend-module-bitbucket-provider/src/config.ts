import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';

/** Where Bitbucket Cloud lives; overridable so tests and the local simulator never need the internet. */
export const BITBUCKET_AUTHORIZATION_URL =
  'https://bitbucket.org/site/oauth2/authorize';
export const BITBUCKET_TOKEN_URL =
  'https://bitbucket.org/site/oauth2/access_token';
export const BITBUCKET_API_BASE_URL = 'https://api.bitbucket.org/2.0';
export const DEFAULT_TIMEOUT_MS = 10_000;

export interface BitbucketProviderConfig {
  clientId: string;
  clientSecret: string;
  authorizationUrl: string;
  tokenUrl: string;
  apiBaseUrl: string;
  timeoutMs: number;
  /** Slugs of the workspaces whose members may sign in; undefined: anyone */
  workspaces?: string[];
  /** Adds group:default/<slug> of the user's (allowed) workspaces to their ownership refs */
  workspaceOwnership: boolean;
}

/** Reads one environment's provider config, e.g. `auth.providers.bitbucket.development`. */
export function readBitbucketProviderConfig(
  config: Config,
): BitbucketProviderConfig {
  return {
    // getString names the full config path when the value is missing
    clientId: config.getString('clientId'),
    clientSecret: config.getString('clientSecret'),
    authorizationUrl:
      config.getOptionalString('authorizationUrl') ??
      BITBUCKET_AUTHORIZATION_URL,
    tokenUrl: config.getOptionalString('tokenUrl') ?? BITBUCKET_TOKEN_URL,
    apiBaseUrl: (
      config.getOptionalString('apiBaseUrl') ?? BITBUCKET_API_BASE_URL
    ).replace(/\/+$/, ''),
    timeoutMs: readTimeoutMs(config),
    workspaces: readWorkspaces(config),
    workspaceOwnership:
      config.getOptionalBoolean('workspaceOwnership') ?? false,
  };
}

function readWorkspaces(config: Config): string[] | undefined {
  const workspaces = config.getOptionalStringArray('workspaces');
  if (workspaces && workspaces.length === 0) {
    // an empty allow-list would lock everyone out; most likely a templating mistake
    throw new Error(
      'auth.providers.bitbucket.<environment>.workspaces is empty; list at least one workspace slug, or remove the key to allow every Bitbucket user',
    );
  }
  return workspaces?.map(slug => slug.toLowerCase());
}

function readTimeoutMs(config: Config): number {
  if (!config.has('timeout')) {
    return DEFAULT_TIMEOUT_MS;
  }
  const value = config.getOptional('timeout');
  const ms =
    typeof value === 'number'
      ? value
      : durationToMilliseconds(
          readDurationFromConfig(config, { key: 'timeout' }),
        );
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new Error(
      `Invalid timeout ${JSON.stringify(
        value,
      )}: auth.providers.bitbucket.<environment>.timeout must be a positive number of milliseconds or a duration such as '10s'`,
    );
  }
  return ms;
}
