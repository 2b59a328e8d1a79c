import { useEffect, useState } from 'react';
import {
  Avatar,
  Content,
  ContentHeader,
  Header,
  HeaderLabel,
  InfoCard,
  Page,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import {
  BackstageUserIdentity,
  ProfileInfo,
  configApiRef,
  identityApiRef,
  useApi,
} from '@backstage/core-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Grid from '@material-ui/core/Grid';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import ExitToAppIcon from '@material-ui/icons/ExitToApp';
import { BitbucketIcon } from '@bitbucket-signin/plugin-auth-bitbucket-react';

type Me = { profile: ProfileInfo; identity: BackstageUserIdentity };

function useMe() {
  const identityApi = useApi(identityApiRef);
  const [state, setState] = useState<{ me?: Me; error?: Error }>({});
  useEffect(() => {
    let cancelled = false;
    Promise.all([
      identityApi.getProfileInfo(),
      identityApi.getBackstageIdentity(),
    ]).then(
      ([profile, identity]) =>
        !cancelled && setState({ me: { profile, identity } }),
      error => !cancelled && setState({ error }),
    );
    return () => {
      cancelled = true;
    };
  }, [identityApi]);
  return state;
}

function EntityRefChip({ entityRef }: { entityRef: string }) {
  const { kind } = parseEntityRef(entityRef);
  return (
    <Chip
      size="small"
      variant="outlined"
      label={entityRef}
      color={kind.toLowerCase() === 'user' ? 'primary' : 'default'}
      data-testid="ownership-ref"
    />
  );
}

/** Shows who is signed in: name, avatar, entity ref and ownership refs. */
export function WhoAmIPage() {
  const identityApi = useApi(identityApiRef);
  const appTitle =
    useApi(configApiRef).getOptionalString('app.title') ?? 'Backstage';
  const { me, error } = useMe();
  const [signingOut, setSigningOut] = useState(false);

  const name =
    me?.profile.displayName ??
    (me ? parseEntityRef(me.identity.userEntityRef).name : '');

  const signOut = async () => {
    setSigningOut(true);
    // ends the Bitbucket session in the backend (refresh cookie) and goes to /
    await identityApi.signOut();
  };

  return (
    <Page themeId="home">
      <Header
        title={me ? `Hello, ${name}` : appTitle}
        subtitle="Signed in with Bitbucket"
      >
        {me && (
          <HeaderLabel label="Signed in as" value={me.identity.userEntityRef} />
        )}
      </Header>
      <Content>
        <ContentHeader title="Who you are" />
        {error && <ResponseErrorPanel error={error} />}
        {!me && !error && <Progress />}
        {me && (
          <Grid container spacing={3} alignItems="stretch">
            <Grid item xs={12} md={8}>
              <InfoCard title="Your Backstage identity" variant="fullHeight">
                <Box display="flex" alignItems="center" mb={2}>
                  <Avatar
                    displayName={name}
                    picture={me.profile.picture}
                    customStyles={{ width: 96, height: 96 }}
                  />
                  <Box ml={3}>
                    <Typography variant="h4" data-testid="display-name">
                      {name}
                    </Typography>
                    {me.profile.email && (
                      <Typography color="textSecondary" data-testid="email">
                        {me.profile.email}
                      </Typography>
                    )}
                  </Box>
                </Box>
                <List dense disablePadding>
                  <ListItem disableGutters>
                    <ListItemText
                      primary="User entity"
                      secondary={
                        <span data-testid="user-entity-ref">
                          {me.identity.userEntityRef}
                        </span>
                      }
                    />
                  </ListItem>
                  <ListItem disableGutters>
                    <ListItemText
                      primary="Ownership"
                      secondaryTypographyProps={{ component: 'div' }}
                      secondary={
                        <Box
                          display="flex"
                          flexWrap="wrap"
                          style={{ gap: 8 }}
                          mt={1}
                          data-testid="ownership-refs"
                        >
                          {me.identity.ownershipEntityRefs.map(ref => (
                            <EntityRefChip key={ref} entityRef={ref} />
                          ))}
                        </Box>
                      }
                    />
                  </ListItem>
                </List>
              </InfoCard>
            </Grid>
            <Grid item xs={12} md={4}>
              <InfoCard title="Session" variant="fullHeight">
                <Box display="flex" alignItems="center" mb={2}>
                  <BitbucketIcon style={{ color: '#2684FF' }} />
                  <Box ml={1}>
                    <Typography>
                      Your session comes from your Bitbucket Cloud account.
                    </Typography>
                  </Box>
                </Box>
                <Button
                  variant="contained"
                  color="primary"
                  startIcon={<ExitToAppIcon />}
                  onClick={signOut}
                  disabled={signingOut}
                  data-testid="sign-out"
                >
                  Sign out
                </Button>
              </InfoCard>
            </Grid>
          </Grid>
        )}
      </Content>
    </Page>
  );
}
