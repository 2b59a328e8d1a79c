import {
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';

/** Where Bitbucket Cloud lives; overridable so tests and the local simulator never need the internet. */
export const BITBUCKET_TOKEN_URL =
  'https://bitbucket.org/site/oauth2/access_token';
export const BITBUCKET_API_BASE_URL = 'https://api.bitbucket.org/2.0';

export const CONFIG_ROOT = 'catalog.providers.bitbucketCloudOrg';

const DEFAULT_SCHEDULE: SchedulerServiceTaskScheduleDefinition = {
  frequency: { minutes: 30 },
  timeout: { minutes: 3 },
};

/** Bitbucket's workspace slugs: lowercase letters, digits, `-`, `_` and `.` */
const WORKSPACE_SLUG = /^[a-z0-9][a-z0-9_.-]*$/;

export interface OrgProviderConfig {
  /** The key under catalog.providers.bitbucketCloudOrg */
  id: string;
  workspace: string;
  clientId: string;
  clientSecret: string;
  tokenUrl: string;
  apiBaseUrl: string;
  schedule: SchedulerServiceTaskScheduleDefinition;
}

/** Every provider under `catalog.providers.bitbucketCloudOrg`; none when the key is absent */
export function readOrgProviderConfigs(config: Config): OrgProviderConfig[] {
  const providers = config.getOptionalConfig(CONFIG_ROOT);
  if (!providers) {
    return [];
  }
  return providers.keys().map(id => {
    const c = providers.getConfig(id);
    // getString names the full config path when the value is missing
    const workspace = c.getString('workspace');
    if (!WORKSPACE_SLUG.test(workspace)) {
      throw new Error(
        `${CONFIG_ROOT}.${id}.workspace must be a workspace slug as in https://bitbucket.org/<slug> (lowercase letters, digits, '-', '_', '.'), got ${JSON.stringify(
          workspace,
        )}`,
      );
    }
    return {
      id,
      workspace,
      clientId: c.getString('clientId'),
      clientSecret: c.getString('clientSecret'),
      tokenUrl: readUrl(c, id, 'tokenUrl', BITBUCKET_TOKEN_URL),
      apiBaseUrl: readUrl(c, id, 'apiBaseUrl', BITBUCKET_API_BASE_URL).replace(
        /\/+$/,
        '',
      ),
      schedule: c.has('schedule')
        ? readSchedulerServiceTaskScheduleDefinitionFromConfig(
            c.getConfig('schedule'),
          )
        : DEFAULT_SCHEDULE,
    };
  });
}

function readUrl(c: Config, id: string, key: string, fallback: string) {
  const value = c.getOptionalString(key) ?? fallback;
  if (!/^https?:\/\//.test(value) || !URL.canParse(value)) {
    throw new Error(
      `${CONFIG_ROOT}.${id}.${key} must be an http(s) URL, got ${JSON.stringify(
        value,
      )}`,
    );
  }
  return value;
}
