import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import catalogGraphPlugin from '@backstage/plugin-catalog-graph/alpha';
import orgPlugin from '@backstage/plugin-org/alpha';
import userSettingsPlugin from '@backstage/plugin-user-settings/alpha';
import appVisualizerPlugin from '@backstage/plugin-app-visualizer';
import { bitbucketSignInPageModule } from '@bitbucket-signin/plugin-auth-bitbucket-react/alpha';
import { navModule } from './modules/nav';

/**
 * The app of `@backstage/create-app` (new frontend system), keeping only the
 * plugins whose backends packages/backend runs (app, auth, catalog,
 * permission), with Bitbucket sign-in as docs/install.md
 * adds it.
 */
export default createApp({
  features: [
    catalogPlugin,
    catalogGraphPlugin,
    orgPlugin,
    userSettingsPlugin,
    appVisualizerPlugin,
    navModule,
    bitbucketSignInPageModule,
  ],
});
