import {
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { BITBUCKET_CLOUD_URLS } from '@bitbucket-signin/plugin-bitbucket-cloud-common';
import { ownersGroupName, workspaceGroupName } from './entities';
import { readRunLimits, RunLimits } from './runLimits';

export const CONFIG_ROOT = 'catalog.providers.bitbucketCloudOrg';

const DEFAULT_SCHEDULE: SchedulerServiceTaskScheduleDefinition = {
  frequency: { minutes: 30 },
  timeout: { minutes: 3 },
};

/** Bitbucket's workspace slugs: lowercase letters, digits, `-`, `_` and `.` */
const WORKSPACE_SLUG = /^[a-z0-9][a-z0-9_.-]*$/;

/** A private OAuth consumer: the client-credentials grant */
export interface OAuthConsumerCredential {
  clientId: string;
  clientSecret: string;
}

/** An Atlassian API token, sent as HTTP Basic `email:token` */
export interface ApiTokenCredential {
  email: string;
  token: string;
}

export interface OrgProviderConfig {
  /** The key under catalog.providers.bitbucketCloudOrg */
  id: string;
  workspaces: string[];
  credential: OAuthConsumerCredential | ApiTokenCredential;
  tokenUrl: string;
  apiBaseUrl: string;
  schedule: SchedulerServiceTaskScheduleDefinition;
  limits: RunLimits;
}

/**
 * Every provider under `catalog.providers.bitbucketCloudOrg`; none when the
 * key is absent. Refuses, naming the keys, a config whose workspaces would
 * make the same Group twice.
 */
export function readOrgProviderConfigs(config: Config): OrgProviderConfig[] {
  const providers = config.getOptionalConfig(CONFIG_ROOT);
  if (!providers) {
    return [];
  }
  const configured: ConfiguredWorkspace[] = [];
  const configs = providers.keys().map(id => {
    const c = providers.getConfig(id);
    const workspaces = readWorkspaces(c, id);
    configured.push(...workspaces);
    const schedule = c.has('schedule')
      ? readSchedulerServiceTaskScheduleDefinitionFromConfig(
          c.getConfig('schedule'),
        )
      : DEFAULT_SCHEDULE;
    return {
      id,
      workspaces: workspaces.map(w => w.slug),
      credential: readCredential(c, id),
      tokenUrl: readUrl(c, id, 'tokenUrl', BITBUCKET_CLOUD_URLS.tokenUrl),
      apiBaseUrl: readUrl(
        c,
        id,
        'apiBaseUrl',
        BITBUCKET_CLOUD_URLS.apiBaseUrl,
      ).replace(/\/+$/, ''),
      schedule,
      limits: readRunLimits(c, `${CONFIG_ROOT}.${id}`, schedule),
    };
  });
  refuseSharedGroupNames(configured);
  return configs;
}

/** A slug and the config key it came from */
interface ConfiguredWorkspace {
  slug: string;
  key: string;
}

function readWorkspaces(c: Config, id: string): ConfiguredWorkspace[] {
  const one = c.getOptionalString('workspace');
  const list = c.getOptionalStringArray('workspaces');
  if ((one === undefined) === (list === undefined) || list?.length === 0) {
    throw new Error(
      `${CONFIG_ROOT}.${id} needs exactly one of workspace (a slug) and workspaces (a list of slugs)`,
    );
  }
  const workspaces = list
    ? list.map((slug, i) => ({ slug, key: `${CONFIG_ROOT}.${id}.workspaces[${i}]` }))
    : [{ slug: one!, key: `${CONFIG_ROOT}.${id}.workspace` }];
  for (const { slug, key } of workspaces) {
    if (!WORKSPACE_SLUG.test(slug)) {
      throw new Error(
        `${key} must be a workspace slug as in https://bitbucket.org/<slug> (lowercase letters, digits, '-', '_', '.'), got ${JSON.stringify(
          slug,
        )}`,
      );
    }
  }
  return workspaces;
}

function readCredential(
  c: Config,
  id: string,
): OAuthConsumerCredential | ApiTokenCredential {
  const hasConsumer = c.has('clientId') || c.has('clientSecret');
  if (hasConsumer === c.has('apiToken')) {
    throw new Error(
      `${CONFIG_ROOT}.${id} needs exactly one credential: clientId and clientSecret (an OAuth consumer of the workspace), or apiToken.email and apiToken.token (an Atlassian API token)`,
    );
  }
  // getString names the full config path when the value is missing
  return hasConsumer
    ? {
        clientId: c.getString('clientId'),
        clientSecret: c.getString('clientSecret'),
      }
    : {
        email: c.getString('apiToken.email'),
        token: c.getString('apiToken.token'),
      };
}

/**
 * Group names come from slugs, and `<slug>-owners` is one too: a workspace
 * slug `acme-owners` next to `acme` would make the same Group twice, and a
 * workspace in two providers would give each member two Users.
 */
function refuseSharedGroupNames(workspaces: ConfiguredWorkspace[]) {
  const makers = new Map<string, string>();
  for (const { slug, key } of workspaces) {
    const maker = `${key} (${slug})`;
    for (const group of [workspaceGroupName(slug), ownersGroupName(slug)]) {
      const other = makers.get(group);
      if (other) {
        throw new Error(
          `${maker} and ${other} would both make Group ${group}; a workspace group and an owners group must not share a name, and each workspace belongs in one provider`,
        );
      }
      makers.set(group, maker);
    }
  }
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
