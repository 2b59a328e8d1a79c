import { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';
import { HumanDuration } from '@backstage/types';

export interface Config {
  catalog?: {
    providers?: {
      /** Bitbucket Cloud workspace members as Users and Groups, from @bitbucket-signin/plugin-catalog-backend-module-bitbucket-cloud-org */
      bitbucketCloudOrg?: {
        /** One provider per key; the key is the provider id */
        [id: string]: {
          /** One workspace slug, as in https://bitbucket.org/<slug>; or use workspaces */
          workspace?: string;
          /** Several workspace slugs: a person in more than one of them is one User in the Groups of each */
          workspaces?: string[];
          /** The Key of an OAuth consumer added in the workspace, private, with the "Account: Read" permission; or use apiToken */
          clientId?: string;
          /**
           * The consumer's Secret
           * @visibility secret
           */
          clientSecret?: string;
          /** An Atlassian API token with scopes read:workspace:bitbucket and read:user:bitbucket, of an account in every workspace; or use clientId and clientSecret */
          apiToken?: {
            /** The Atlassian account's email address */
            email: string;
            /**
             * The API token
             * @visibility secret
             */
            token: string;
          };
          /** When to read the workspaces. Default: every 30 minutes, each run at most 3 minutes */
          schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
          /** What one run may read; a run that passes a limit applies nothing and logs the key */
          limits?: {
            /** Members over all workspaces per run. Default 100000 */
            maxMembers?: number;
            /** Answer bytes over all lists per run, each list an even share. Default 268435456 (256 MiB) */
            maxBytes?: number;
            /** The whole run, body reads included; shorter than schedule.timeout. Default two thirds of schedule.timeout */
            runTimeout?: string | HumanDuration;
          };
          /** For tests and the local simulator only. Default https://bitbucket.org/site/oauth2/access_token */
          tokenUrl?: string;
          /** For tests and the local simulator only. Default https://api.bitbucket.org/2.0 */
          apiBaseUrl?: string;
        };
      };
    };
  };
}
