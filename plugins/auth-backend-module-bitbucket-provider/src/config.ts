import { LoggerService } from '@backstage/backend-plugin-api';
import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import {
  assertWorkspaceSlug,
  readBitbucketUrl,
} from '@bitbucket-signin/plugin-bitbucket-cloud-common';
import { bitbucketSignInResolvers } from './resolvers';

const DEFAULT_TIMEOUT_MS = 10_000;
/** As Okta's default refresh-token grace period */
const DEFAULT_REFRESH_REUSE_WINDOW_MS = 30_000;

export interface BitbucketProviderConfig {
  clientId: string;
  clientSecret: string;
  authorizationUrl: string;
  tokenUrl: string;
  apiBaseUrl: string;
  timeoutMs: number;
  /** How long a rotated refresh token's successor is handed to late tabs; 0 turns it off */
  refreshReuseWindowMs: number;
  /** Slugs of the workspaces whose members may sign in; undefined: anyone */
  workspaces?: string[];
}

/** Every key config.d.ts declares, so that a typo such as `clientID` is named at start-up */
const KNOWN_KEYS = [
  'clientId',
  'clientSecret',
  'callbackUrl',
  'additionalScopes',
  'sessionDuration',
  'timeout',
  'refreshReuseWindow',
  'workspaces',
  'authorizationUrl',
  'tokenUrl',
  'apiBaseUrl',
  'signIn',
];

const WHERE =
  'Set it in app-config.yaml, or in app-config.local.yaml to keep it out of version control (app-config.production.yaml in production)';

/**
 * Checks every environment under `auth.providers.bitbucket` at start-up, so a
 * config that cannot work stops the backend with the key to fix, instead of
 * the auth plugin skipping the provider with a warning and the sign-in page
 * offering a Bitbucket button that cannot work.
 */
export function validateBitbucketProvidersConfig(
  config: Config,
  logger: LoggerService,
): void {
  const providers = config.getOptionalConfig('auth.providers.bitbucket');
  for (const env of providers?.keys() ?? []) {
    const envConfig = providers!.getConfig(env);
    readBitbucketProviderConfig(envConfig, env);
    checkResolvers(envConfig, `auth.providers.bitbucket.${env}`, logger);
  }
}

/** The auth plugin would only skip the provider over an unknown name, outside production */
function checkResolvers(config: Config, key: string, logger: LoggerService) {
  const known = Object.keys(bitbucketSignInResolvers);
  const resolvers = config.getOptionalConfigArray('signIn.resolvers') ?? [];
  for (const [index, resolver] of resolvers.entries()) {
    const name = resolver.getString('resolver');
    if (!known.includes(name)) {
      throw new Error(
        `${key}.signIn.resolvers[${index}].resolver '${name}' is not a Bitbucket sign-in resolver; use one of ${known.join(
          ', ',
        )}`,
      );
    }
    if (
      name === 'emailLocalPartMatchingUserEntityName' &&
      !resolver.has('allowedDomains')
    ) {
      logger.warn(
        'emailLocalPartMatchingUserEntityName without allowedDomains signs in anyone whose confirmed email local part equals a User name, at any domain; set allowedDomains',
      );
    }
    if (name === 'usernameMatchingUserEntityAnnotation') {
      logger.warn(
        'usernameMatchingUserEntityAnnotation matches the Bitbucket username, which its owner can change: once someone renames and another account takes the old name, that account signs in as the old User. Match the uuid with userIdMatchingUserEntityAnnotation (annotation bitbucket.org/user-id) instead',
      );
    }
  }
}

/** Reads one environment's provider config, e.g. `auth.providers.bitbucket.development`. */
export function readBitbucketProviderConfig(
  config: Config,
  env = '<environment>',
): BitbucketProviderConfig {
  const key = `auth.providers.bitbucket.${env}`;
  for (const name of config.keys()) {
    if (name === 'workspaceOwnership') {
      throw new Error(
        `${key}.workspaceOwnership was removed: ownership through workspaces now comes from the catalog. Remove the key, and install @bitbucket-signin/plugin-catalog-backend-module-bitbucket-cloud-org, whose workspace Groups and memberOf give each member group:default/<workspace> through Backstage's own ownership resolution`,
      );
    }
    if (!KNOWN_KEYS.includes(name)) {
      const meant = KNOWN_KEYS.find(
        k => k.toLowerCase() === name.toLowerCase(),
      );
      const hint = meant ? `; did you mean ${meant}?` : '';
      throw new Error(
        `${key}.${name} is not a Bitbucket provider setting${hint}. The settings are: ${KNOWN_KEYS.join(
          ', ',
        )}`,
      );
    }
  }
  return {
    clientId: readRequiredString(config, 'clientId', key),
    clientSecret: readRequiredString(config, 'clientSecret', key),
    authorizationUrl: readBitbucketUrl(config, key, 'authorizationUrl'),
    tokenUrl: readBitbucketUrl(config, key, 'tokenUrl'),
    apiBaseUrl: readBitbucketUrl(config, key, 'apiBaseUrl').replace(/\/+$/, ''),
    timeoutMs:
      readMilliseconds(config, 'timeout', key, { allowZero: false }) ??
      DEFAULT_TIMEOUT_MS,
    refreshReuseWindowMs:
      readMilliseconds(config, 'refreshReuseWindow', key, {
        allowZero: true,
      }) ?? DEFAULT_REFRESH_REUSE_WINDOW_MS,
    workspaces: readWorkspaces(config, key),
  };
}

function readRequiredString(config: Config, name: string, key: string) {
  const value = config.getOptionalString(name);
  if (!value) {
    const field = name === 'clientId' ? 'Key' : 'Secret';
    throw new Error(
      `${key}.${name} is missing: it is the OAuth consumer's ${field} (Bitbucket: Workspace settings > OAuth consumers). ${WHERE}`,
    );
  }
  return value;
}

function readWorkspaces(config: Config, key: string): string[] | undefined {
  const workspaces = config.getOptionalStringArray('workspaces');
  if (workspaces?.length === 0) {
    // an empty allow-list would lock everyone out; most likely a templating mistake
    throw new Error(
      `${key}.workspaces is empty; list at least one workspace slug, or remove the key to allow every Bitbucket user`,
    );
  }
  return workspaces?.map((slug, index) => {
    const lowerCase = slug.toLowerCase();
    assertWorkspaceSlug(lowerCase, `${key}.workspaces[${index}]`);
    return lowerCase;
  });
}

function readMilliseconds(
  config: Config,
  name: string,
  key: string,
  { allowZero }: { allowZero: boolean },
): number | undefined {
  if (!config.has(name)) {
    return undefined;
  }
  const value = config.getOptional(name);
  const ms =
    typeof value === 'number'
      ? value
      : durationToMilliseconds(readDurationFromConfig(config, { key: name }));
  if (!Number.isFinite(ms) || ms < 0 || (!allowZero && ms === 0)) {
    const got = JSON.stringify(value);
    const sign = allowZero ? 'non-negative' : 'positive';
    throw new Error(
      `Invalid ${name} ${got}: ${key}.${name} must be a ${sign} number of milliseconds or a duration such as '10s'`,
    );
  }
  return ms;
}
