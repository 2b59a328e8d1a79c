import { LoggerService, SchedulerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import {
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import type { MetricsService } from '@backstage/backend-plugin-api/alpha';
import { recordBitbucketRequests } from '@bitbucket-signin/plugin-bitbucket-cloud-common';
import { BitbucketOrgClient } from './BitbucketOrgClient';
import { OrgProviderConfig, readOrgProviderConfigs } from './config';
import { orgEntities, WorkspaceRead } from './entities';
import { OrgRunMetrics, orgRunMetrics } from './metrics';
import { describeRunFailure, listRun } from './runLimits';

interface ProviderOptions {
  config: OrgProviderConfig;
  client: BitbucketOrgClient;
  logger: LoggerService;
  scheduler: SchedulerService;
  metrics?: OrgRunMetrics;
}

/**
 * Bitbucket Cloud workspace members as Users and Groups, one User per person: one full mutation
 * per scheduled run, so members who left leave the catalog.
 *
 * @public
 */
export class BitbucketCloudOrgEntityProvider implements EntityProvider {
  readonly #options: ProviderOptions;
  readonly #logger: LoggerService;
  #connection?: EntityProviderConnection;

  /** One provider per key under `catalog.providers.bitbucketCloudOrg` */
  static fromConfig(
    config: Config,
    options: {
      logger: LoggerService;
      scheduler: SchedulerService;
      /** `metricsServiceRef` of `@backstage/backend-plugin-api/alpha`: runs and Bitbucket latency */
      metrics?: MetricsService;
    },
  ): BitbucketCloudOrgEntityProvider[] {
    const { metrics } = options;
    const onRequest = metrics && recordBitbucketRequests(metrics);
    const runMetrics = metrics && orgRunMetrics(metrics);
    return readOrgProviderConfigs(config).map(
      providerConfig =>
        new BitbucketCloudOrgEntityProvider({
          ...options,
          config: providerConfig,
          client: new BitbucketOrgClient({ ...providerConfig, onRequest }),
          metrics: runMetrics,
        }),
    );
  }

  private constructor(options: ProviderOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ target: this.getProviderName() });
  }

  /** `bitbucket-cloud-org-provider:<provider id>`, unique per configured provider */
  getProviderName(): string {
    return `bitbucket-cloud-org-provider:${this.#options.config.id}`;
  }

  /** Called by the catalog: schedules the runs that read the workspace */
  async connect(connection: EntityProviderConnection): Promise<void> {
    this.#connection = connection;
    await this.#options.scheduler.scheduleTask({
      id: `${this.getProviderName()}:refresh`,
      ...this.#options.config.schedule,
      fn: signal => this.refresh(signal),
    });
  }

  /** Reads every workspace, then replaces the entities; a run that fails or passes a limit applies nothing */
  async refresh(signal?: AbortSignal): Promise<void> {
    const connection = this.#connection;
    if (!connection) {
      throw new Error(`${this.getProviderName()} is not connected yet`);
    }
    const { config, client, metrics } = this.#options;
    const { id, configKey, workspaces, tokenUrl, limits } = config;
    const plural = workspaces.length > 1 ? 's' : '';
    const named = `Bitbucket Cloud workspace${plural} ${workspaces.join(', ')}`;
    const started = Date.now();
    // one deadline for the whole run, body reads included
    const deadline = AbortSignal.timeout(limits.runTimeoutMs);
    const run = signal ? AbortSignal.any([signal, deadline]) : deadline;
    try {
      const read: WorkspaceRead[] = [];
      let membersRead = 0;
      for (const slug of workspaces) {
        // what the run has left, for each of this workspace's two lists
        const left = listRun(run, limits, membersRead, workspaces.length);
        const members = await client.listMembers(slug, left);
        const owners = await client.listOwners(slug, left);
        // the workspace's page on Bitbucket, on the host the token comes from
        const location = `url:${new URL(tokenUrl).origin}/${slug}`;
        read.push({ slug, members, owners, location });
        membersRead += members.length;
      }
      const entities = orgEntities(read);
      const locationKey = this.getProviderName();
      await connection.applyMutation({
        type: 'full',
        entities: entities.map(entity => ({ entity, locationKey })),
      });
      const ms = Date.now() - started;
      this.#logger.info(
        `Read ${membersRead} members of ${named} and applied ${entities.length} Users and Groups in ${ms} ms`,
      );
      metrics?.succeeded(id, {
        seconds: ms / 1000,
        members: membersRead,
        entities: entities.length,
      });
    } catch (error) {
      const seconds = (Date.now() - started) / 1000;
      const failure = describeRunFailure(error, deadline, configKey, limits);
      metrics?.failed(id, seconds, failure.limit);
      this.#logger.error(
        `Could not refresh the Users and Groups of ${named} (${configKey}); the catalog keeps those of the last successful run. ${failure.reason}`,
      );
    }
  }
}
