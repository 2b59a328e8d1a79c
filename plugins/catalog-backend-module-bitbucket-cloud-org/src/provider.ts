import { LoggerService, SchedulerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import {
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import { BitbucketOrgClient } from './BitbucketOrgClient';
import {
  CONFIG_ROOT,
  OrgProviderConfig,
  readOrgProviderConfigs,
} from './config';
import { workspaceEntities } from './entities';

/**
 * The members of one Bitbucket Cloud workspace as Users and Groups: one full
 * mutation per scheduled run, so members who left the workspace leave the
 * catalog.
 *
 * @public
 */
export class BitbucketCloudOrgEntityProvider implements EntityProvider {
  readonly #config: OrgProviderConfig;
  readonly #client: BitbucketOrgClient;
  readonly #logger: LoggerService;
  readonly #scheduler: SchedulerService;
  #connection?: EntityProviderConnection;

  /** One provider per key under `catalog.providers.bitbucketCloudOrg` */
  static fromConfig(
    config: Config,
    options: { logger: LoggerService; scheduler: SchedulerService },
  ): BitbucketCloudOrgEntityProvider[] {
    return readOrgProviderConfigs(config).map(
      providerConfig =>
        new BitbucketCloudOrgEntityProvider(providerConfig, options),
    );
  }

  private constructor(
    config: OrgProviderConfig,
    options: { logger: LoggerService; scheduler: SchedulerService },
  ) {
    this.#config = config;
    this.#client = new BitbucketOrgClient({
      providerId: config.id,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      tokenUrl: config.tokenUrl,
      apiBaseUrl: config.apiBaseUrl,
    });
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

  /**
   * Reads every page of both lists, then replaces this provider's entities.
   * A failed read applies nothing, so the catalog keeps the last run's
   * entities; the failure is logged for the admin.
   */
  async refresh(signal?: AbortSignal): Promise<void> {
    const connection = this.#connection;
    if (!connection) {
      throw new Error(`${this.getProviderName()} is not connected yet`);
    }
    const { id, workspace, tokenUrl } = this.#config;
    const started = Date.now();
    try {
      const members = await this.#client.listMembers(workspace, signal);
      const permissions = await this.#client.listPermissions(workspace, signal);
      // the workspace's page on Bitbucket, on the host the token comes from
      const location = `url:${new URL(tokenUrl).origin}/${workspace}`;
      const entities = workspaceEntities({
        workspace,
        members,
        permissions,
        location,
      });
      await connection.applyMutation({
        type: 'full',
        entities: entities.map(entity => ({
          entity,
          locationKey: this.getProviderName(),
        })),
      });
      this.#logger.info(
        `Read ${
          members.length
        } members of Bitbucket Cloud workspace ${workspace} and applied ${
          entities.length
        } Users and Groups in ${Date.now() - started} ms`,
      );
    } catch (error) {
      this.#logger.error(
        `Could not refresh the Users and Groups of Bitbucket Cloud workspace ${workspace} (${CONFIG_ROOT}.${id}); the catalog keeps those of the last successful run. ${
          (error as Error)?.message ?? error
        }`,
      );
    }
  }
}
