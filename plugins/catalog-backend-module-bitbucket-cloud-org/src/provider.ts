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
import { describeLimitReached, listRun } from './runLimits';

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
    const configKey = `${CONFIG_ROOT}.${config.id}`;
    this.#client = new BitbucketOrgClient({ ...config, configKey });
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
