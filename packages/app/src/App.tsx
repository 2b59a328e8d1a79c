import { createApp } from '@backstage/app-defaults';
import { AppRouter, FlatRoutes } from '@backstage/core-app-api';
import {
  AlertDisplay,
  OAuthRequestDialog,
  SignInPage,
} from '@backstage/core-components';
import CssBaseline from '@material-ui/core/CssBaseline';
import { bitbucketSignInProvider } from '@bitbucket-signin/plugin-auth-bitbucket-react';
import { Route } from 'react-router-dom';
import { apis } from './apis';
import { WhoAmIPage } from './components/WhoAmIPage';

const app = createApp({
  apis,
  components: {
    SignInPage: props => (
      <SignInPage
        {...props}
        title="Select a sign-in method"
        align="center"
        providers={[bitbucketSignInProvider]}
      />
    ),
  },
});

export default app.createRoot(
  <>
    <CssBaseline />
    {/* Sign-in errors reach the user only through AlertDisplay */}
    <AlertDisplay transientTimeoutMs={2500} />
    <OAuthRequestDialog />
    <AppRouter>
      <FlatRoutes>
        <Route path="/" element={<WhoAmIPage />} />
      </FlatRoutes>
    </AppRouter>
  </>,
);
