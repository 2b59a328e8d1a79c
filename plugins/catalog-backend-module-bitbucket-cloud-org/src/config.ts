import {
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import {
  assertWorkspaceSlug,
  readBitbucketUrl,
} from '@bitbucket-signin/plugin-bitbucket-cloud-common';
import { ownersGroupName, workspaceGroupName } from './entities';
import { readRunLimits, RunLimits } from './runLimits';

const CONFIG_ROOT = 'catalog.providers.bitbucketCloudOrg';

const DEFAULT_SCHEDULE: SchedulerServiceTaskScheduleDefinition = {
  frequency: { minutes: 30 },
  timeout: { minutes: 3 },
};

/** A private OAuth consumer (client-credentials grant), or an Atlassian API token (HTTP Basic) */
export type OrgCredential =
  | { clientId: string; clientSecret: string }
  | { email: string; token: string };

export interface OrgProviderConfig {
  /** The key under catalog.providers.bitbucketCloudOrg */
  id: string;
  /** `catalog.providers.bitbucketCloudOrg.<id>`, which messages name */
  configKey: string;
  workspaces: string[];
  credential: OrgCredential;
  tokenUrl: string;
  apiBaseUrl: string;
  schedule: SchedulerServiceTaskScheduleDefinition;
  limits: RunLimits;
}

/** Every provider under `catalog.providers.bitbucketCloudOrg`, checked; none when the key is absent */
export function readOrgProviderConfigs(config: Config): OrgProviderConfig[] {
  const providers = config.getOptionalConfig(CONFIG_ROOT);
  if (!providers) {
    return [];
  }
  const configured: ConfiguredWorkspace[] = [];
  const configs = providers.keys().map(id => {
    const c = providers.getConfig(id);
    const key = `${CONFIG_ROOT}.${id}`;
    const workspaces = readWorkspaces(c, key);
    configured.push(...workspaces);
    const schedule = c.has('schedule')
      ? readSchedulerServiceTaskScheduleDefinitionFromConfig(
          c.getConfig('schedule'),
        )
      : DEFAULT_SCHEDULE;
    return {
      id,
      configKey: key,
      workspaces: workspaces.map(w => w.slug),
      credential: readCredential(c, key),
      tokenUrl: readBitbucketUrl(c, key, 'tokenUrl'),
      apiBaseUrl: readBitbucketUrl(c, key, 'apiBaseUrl'),
      schedule,
      limits: readRunLimits(c, key, schedule),
    };
  });
  refuseSharedGroupNames(configured);
  return configs;
}

/** A slug and the config key it came from */
type ConfiguredWorkspace = { slug: string; key: string };

function readWorkspaces(c: Config, key: string): ConfiguredWorkspace[] {
  const one = c.getOptionalString('workspace');
  const list = c.getOptionalStringArray('workspaces');
  if ((one === undefined) === (list === undefined) || list?.length === 0) {
    throw new Error(
      `${key} needs exactly one of workspace (a slug) and workspaces (a list of slugs)`,
    );
  }
  const workspaces = list
    ? list.map((slug, i) => ({ slug, key: `${key}.workspaces[${i}]` }))
    : [{ slug: one!, key: `${key}.workspace` }];
  for (const { slug, key: slugKey } of workspaces) {
    assertWorkspaceSlug(slug, slugKey);
  }
  return workspaces;
}

function readCredential(c: Config, key: string): OrgCredential {
  const hasConsumer = c.has('clientId') || c.has('clientSecret');
  if (hasConsumer === c.has('apiToken')) {
    throw new Error(
      `${key} needs exactly one credential: clientId and clientSecret (an OAuth consumer of the workspace), or apiToken.email and apiToken.token (an Atlassian API token)`,
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

/** `acme-owners` next to `acme` would make one Group twice; a workspace in two providers, two Users a member */
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
