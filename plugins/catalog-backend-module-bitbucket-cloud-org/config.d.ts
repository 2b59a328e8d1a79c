import { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  catalog?: {
    providers?: {
      /** Bitbucket Cloud workspace members as Users and Groups, from @bitbucket-signin/plugin-catalog-backend-module-bitbucket-cloud-org */
      bitbucketCloudOrg?: {
        /** One provider per key; the key is the provider id */
        [id: string]: {
          /** The workspace slug, as in https://bitbucket.org/<slug> */
          workspace: string;
          /** The Key of a private OAuth consumer with the "Account: Read" permission */
          clientId: string;
          /**
           * The consumer's Secret
           * @visibility secret
           */
          clientSecret: string;
          /** When to read the workspace. Default: every 30 minutes, each run at most 3 minutes */
          schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
          /** For tests and the local simulator only. Default https://bitbucket.org/site/oauth2/access_token */
          tokenUrl?: string;
          /** For tests and the local simulator only. Default https://api.bitbucket.org/2.0 */
          apiBaseUrl?: string;
        };
      };
    };
  };
}
