import { LoggerService, SchedulerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import {
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import type { MetricsService } from '@backstage/backend-plugin-api/alpha';
import {
  BitbucketRequestOutcome,
  recordBitbucketRequests,
} from '@bitbucket-signin/plugin-bitbucket-cloud-common';
import { BitbucketOrgClient } from './BitbucketOrgClient';
import {
  CONFIG_ROOT,
  OrgProviderConfig,
  readOrgProviderConfigs,
} from './config';
import { orgEntities, WorkspaceRead } from './entities';
import { OrgRunMetrics } from './metrics';
import { describeLimitReached, limitReached, listRun } from './runLimits';

/** What every provider of the module shares */
interface ProviderOptions {
  logger: LoggerService;
  scheduler: SchedulerService;
  metrics?: OrgRunMetrics;
  onRequest?: (outcome: BitbucketRequestOutcome) => void;
}

/**
 * Bitbucket Cloud workspace members as Users and Groups, one User per person: one full mutation
 * per scheduled run, so members who left leave the catalog.
 *
 * @public
 */
export class BitbucketCloudOrgEntityProvider implements EntityProvider {
  readonly #config: OrgProviderConfig;
  readonly #client: BitbucketOrgClient;
  readonly #logger: LoggerService;
  readonly #scheduler: SchedulerService;
  readonly #metrics?: OrgRunMetrics;
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
    const shared: ProviderOptions = {
      ...options,
      metrics: metrics && new OrgRunMetrics(metrics),
      onRequest: metrics && recordBitbucketRequests(metrics),
    };
    return readOrgProviderConfigs(config).map(
      providerConfig =>
        new BitbucketCloudOrgEntityProvider(providerConfig, shared),
    );
  }

  private constructor(config: OrgProviderConfig, options: ProviderOptions) {
    this.#config = config;
    const configKey = `${CONFIG_ROOT}.${config.id}`;
    this.#client = new BitbucketOrgClient({
      ...config,
      configKey,
      onRequest: options.onRequest,
    });
    this.#metrics = options.metrics;
    this.#logger = options.logger.child({ target: this.getProviderName() });
    this.#scheduler = options.scheduler;
  }

  /** `bitbucket-cloud-org-provider:<provider id>`, unique per configured provider */
  getProviderName(): string {
    return `bitbucket-cloud-org-provider:${this.#config.id}`;
  }

  /** Called by the catalog: schedules the runs that read the workspace */
  async connect(connection: EntityProviderConnection): Promise<void> {
    this.#connection = connection;
    await this.#scheduler.scheduleTask({
      id: `${this.getProviderName()}:refresh`,
      ...this.#config.schedule,
      fn: signal => this.refresh(signal),
    });
  }

  /** Reads every workspace, then replaces the entities; a run that fails or passes a limit applies nothing */
  async refresh(signal?: AbortSignal): Promise<void> {
    const connection = this.#connection;
    if (!connection) {
      throw new Error(`${this.getProviderName()} is not connected yet`);
    }
    const { workspaces, tokenUrl, limits } = this.#config;
    const key = `${CONFIG_ROOT}.${this.#config.id}`;
    const plural = workspaces.length > 1 ? 's' : '';
    const named = `Bitbucket Cloud workspace${plural} ${workspaces.join(', ')}`;
    const started = Date.now();
    // one deadline for the whole run, body reads included
    const deadline = AbortSignal.timeout(limits.runTimeoutMs);
    const run = signal ? AbortSignal.any([signal, deadline]) : deadline;
    try {
      const read: WorkspaceRead[] = [];
      let members = 0;
      for (const slug of workspaces) {
        // what the run has left, for each of this workspace's two lists
        const left = listRun(run, limits, members, workspaces.length);
        const workspace: WorkspaceRead = {
          slug,
          members: await this.#client.listMembers(slug, left),
          owners: await this.#client.listOwners(slug, left),
          // the workspace's page on Bitbucket, on the host the token comes from
          location: `url:${new URL(tokenUrl).origin}/${slug}`,
        };
        members += workspace.members.length;
        read.push(workspace);
      }
      const entities = orgEntities(read);
      await connection.applyMutation({
        type: 'full',
        entities: entities.map(entity => ({
          entity,
          locationKey: this.getProviderName(),
        })),
      });
      this.#logger.info(
        `Read ${members} members of ${named} and applied ${
          entities.length
        } Users and Groups in ${Date.now() - started} ms`,
      );
      this.#metrics?.ran(this.#config.id, {
        outcome: 'ok',
        seconds: (Date.now() - started) / 1000,
        members,
        entities: entities.length,
      });
    } catch (error) {
      const limit = limitReached(error, deadline);
      this.#metrics?.ran(this.#config.id, {
        outcome: limit ? 'limit_reached' : 'failed',
        limit,
        seconds: (Date.now() - started) / 1000,
      });
      this.#logger.error(
        `Could not refresh the Users and Groups of ${named} (${key}); the catalog keeps those of the last successful run. ${
          describeLimitReached(error, key, limits) ??
          (error as Error)?.message ??
          error
        }`,
      );
    }
  }
}
