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
import { describeLimitReached, listLimits } from './runLimits';

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
      configKey: `${CONFIG_ROOT}.${config.id}`,
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
   * provider's entities. A run that fails or passes one of its limits
   * applies nothing, so the catalog keeps the last run's entities; the
   * failure is logged for the admin.
   */
  async refresh(signal?: AbortSignal): Promise<void> {
    const connection = this.#connection;
    if (!connection) {
      throw new Error(`${this.getProviderName()} is not connected yet`);
    }
    const { id, workspaces, tokenUrl, limits } = this.#config;
    const key = `${CONFIG_ROOT}.${id}`;
    const named = `Bitbucket Cloud workspace${
      workspaces.length > 1 ? 's' : ''
    } ${workspaces.join(', ')}`;
    const started = Date.now();
    // one deadline for the whole run, body reads included
    const deadline = AbortSignal.timeout(limits.runTimeoutMs);
    const run = signal ? AbortSignal.any([signal, deadline]) : deadline;
    const lists = workspaces.length * 2;
    try {
      const read: WorkspaceRead[] = [];
      let members = 0;
      let permissions = 0;
      for (const slug of workspaces) {
        const workspace: WorkspaceRead = {
          slug,
          members: await this.#client.listMembers(
            slug,
            run,
            listLimits(limits, limits.maxMembers - members, lists),
          ),
          permissions: await this.#client.listPermissions(
            slug,
            run,
            listLimits(limits, limits.maxMembers - permissions, lists),
          ),
          // the workspace's page on Bitbucket, on the host the token comes from
          location: `url:${new URL(tokenUrl).origin}/${slug}`,
        };
        members += workspace.members.length;
        permissions += workspace.permissions.length;
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
    } catch (error) {
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
