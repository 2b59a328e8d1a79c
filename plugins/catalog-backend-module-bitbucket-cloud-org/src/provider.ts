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
import { orgEntities, WorkspaceRead } from './entities';

/**
 * The members of Bitbucket Cloud workspaces as Users and Groups, one User per
 * person however many of the workspaces list them: one full mutation per
 * scheduled run, so members who left leave the catalog.
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
      credential: config.credential,
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
   * Reads every page of both lists of every workspace, then replaces this
   * provider's entities.
   * A failed read applies nothing, so the catalog keeps the last run's
   * entities; the failure is logged for the admin.
   */
  async refresh(signal?: AbortSignal): Promise<void> {
    const connection = this.#connection;
    if (!connection) {
      throw new Error(`${this.getProviderName()} is not connected yet`);
    }
    const { id, workspaces, tokenUrl } = this.#config;
    const named = `Bitbucket Cloud workspace${
      workspaces.length > 1 ? 's' : ''
    } ${workspaces.join(', ')}`;
    const started = Date.now();
    try {
      const read: WorkspaceRead[] = [];
      for (const slug of workspaces) {
        read.push({
          slug,
          members: await this.#client.listMembers(slug, signal),
          permissions: await this.#client.listPermissions(slug, signal),
          // the workspace's page on Bitbucket, on the host the token comes from
          location: `url:${new URL(tokenUrl).origin}/${slug}`,
        });
      }
      const entities = orgEntities(read);
      await connection.applyMutation({
        type: 'full',
        entities: entities.map(entity => ({
          entity,
          locationKey: this.getProviderName(),
        })),
      });
      const members = read.reduce((sum, w) => sum + w.members.length, 0);
      this.#logger.info(
        `Read ${members} members of ${named} and applied ${
          entities.length
        } Users and Groups in ${Date.now() - started} ms`,
      );
    } catch (error) {
      this.#logger.error(
        `Could not refresh the Users and Groups of ${named} (${CONFIG_ROOT}.${id}); the catalog keeps those of the last successful run. ${
          (error as Error)?.message ?? error
        }`,
      );
    }
  }
}
