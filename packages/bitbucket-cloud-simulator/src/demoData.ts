import { SimulatorConsumer, SimulatorUser } from './types';

const acme = {
  slug: 'acme',
  name: 'Acme',
  uuid: '{958956e8-20eb-448d-89da-1b44d92c17b6}',
};

const daveWorkspaceUuids = [
  '{6471ba93-fc99-4d56-b2aa-0e791bcfd81b}',
  '{a3babf27-0dfe-4505-a449-bf9c4f4b20af}',
  '{21a70be6-af7a-4eb9-be8b-2820012fcdc7}',
  '{cf0d6240-6789-4dae-817f-642af70805a0}',
  '{fb91fd37-be62-45ec-a523-ca7eecc1acea}',
  '{bcc212d8-ed9a-46b5-85ef-fce9be9c0375}',
  '{9fe20048-9e26-4177-aaa7-f9f292d8cd16}',
  '{a43c67d7-91ae-4a0b-81b1-3dd480299c37}',
  '{06ac07d3-d38b-4c4b-bf5b-d1b4a67039bb}',
  '{52325b36-af5b-429c-96fd-3f6c07543a51}',
  '{77d393b4-222a-4b28-a302-91b2a55decdb}',
];

/**
 * The accounts a newcomer can sign in as, each covering one case a sign-in
 * must handle (see the README for the table).
 *
 * @public
 */
export const demoUsers: SimulatorUser[] = [
  {
    uuid: '{4b3fc47c-f21d-4942-bc5c-5ad7ca0f1a3e}',
    accountId: '557058:15824d17-14cf-4b7b-808c-0f9645cd70e3',
    username: 'alice-bb',
    nickname: 'alice',
    displayName: 'Alice Anderson',
    emails: [
      { email: 'alice@example.com', isPrimary: true, isConfirmed: true },
      {
        email: 'alice.anderson@example.org',
        isPrimary: false,
        isConfirmed: true,
      },
    ],
    apiTokens: [
      {
        token: 'simulator-api-token-alice',
        scopes: ['read:user:bitbucket', 'read:workspace:bitbucket'],
      },
    ],
    workspaces: [
      { ...acme, permission: 'owner' },
      {
        slug: 'alice-personal',
        name: 'Alice Anderson',
        uuid: '{32341d6a-f89b-403f-9673-5a77449f772b}',
        permission: 'owner',
      },
    ],
  },
  {
    uuid: '{6d69852f-142d-4335-bd37-6eadb0e56440}',
    accountId: '557058:2afb87a3-a1a6-4a96-893d-e3581d41e433',
    username: 'bob-bb',
    nickname: 'bob',
    displayName: 'Bob Brown',
    emails: [
      { email: 'bob@example.com', isPrimary: true, isConfirmed: false },
      { email: 'bob.brown@example.com', isPrimary: false, isConfirmed: true },
    ],
    workspaces: [{ ...acme, permission: 'member' }],
  },
  {
    uuid: '{5f9f5a48-afc4-4680-8b97-8388a4da3b80}',
    accountId: '557058:3208fa53-2bb0-496b-b2b6-894d46feb714',
    username: 'carol-bb',
    nickname: 'carol',
    displayName: 'Carol Chen',
    emails: [
      { email: 'carol@example.com', isPrimary: true, isConfirmed: false },
    ],
    workspaces: [{ ...acme, permission: 'member' }],
  },
  {
    uuid: '{06eaa404-828a-4eab-af9d-e8e948a8f0cf}',
    accountId: '557058:50a8d365-1199-4df7-91f2-263806bc152e',
    username: 'mallory-bb',
    nickname: 'mallory',
    displayName: 'Mallory Moss',
    emails: [
      // Anyone can add any address to a Bitbucket account without proving they own it
      { email: 'alice@example.com', isPrimary: true, isConfirmed: false },
      { email: 'mallory@evil.example', isPrimary: false, isConfirmed: true },
    ],
    workspaces: [
      {
        slug: 'evil-corp',
        name: 'Evil Corp',
        uuid: '{8a330857-ae04-474b-b425-9bcee2ceecf5}',
        permission: 'owner',
      },
    ],
  },
  {
    uuid: '{313563ba-8bb3-48f4-b702-9fbbbd60e576}',
    accountId: '557058:2c0e6cc6-51bd-4650-8745-865f82dc22df',
    username: 'dave-bb',
    nickname: 'dave',
    displayName: 'Dave Davis',
    emails: [
      { email: 'dave@example.com', isPrimary: true, isConfirmed: true },
      ...Array.from({ length: 15 }, (_, i) => ({
        email: `dave+${i + 1}@example.com`,
        isPrimary: false,
        isConfirmed: true,
      })),
    ],
    workspaces: [
      { ...acme, permission: 'member' },
      ...daveWorkspaceUuids.map((uuid, i) => ({
        slug: `ws-${i + 1}`,
        name: `Workspace ${i + 1}`,
        uuid,
        permission: 'member' as const,
      })),
    ],
  },
  {
    uuid: '{f552451f-16f4-4034-8d42-05d7e6e39984}',
    accountId: '557058:813c4076-80be-4ccf-9bdc-3391d2252715',
    username: 'grace-bb',
    nickname: 'grace',
    displayName: 'Grace Green',
    emails: [
      { email: 'grace@example.com', isPrimary: true, isConfirmed: true },
    ],
    workspaces: [
      {
        slug: 'other-co',
        name: 'Other Co',
        uuid: '{94388d8d-2beb-47e8-b176-e35ddbfd93fd}',
        permission: 'member',
      },
    ],
  },
];

/**
 * An Atlassian API token of alice-bb, an owner of acme, with scopes
 * `read:user:bitbucket` and `read:workspace:bitbucket`: send
 * `Authorization: Basic base64(email:token)` to the REST API.
 *
 * @public
 */
export const demoApiToken = {
  email: 'alice@example.com',
  token: 'simulator-api-token-alice',
} as const;

/**
 * The OAuth consumer the simulator knows by default; matches the defaults of
 * the CLI and of a local Backstage backend. It is private and owned by the
 * acme workspace, so the org provider can read acme's members with the
 * client-credentials grant.
 *
 * @public
 */
export const demoConsumer: SimulatorConsumer = {
  key: 'simulator-client-id',
  secret: 'simulator-client-secret',
  callbackUrl: 'http://localhost:7007/api/auth/bitbucket/handler/frame',
  scopes: ['account', 'email', 'team'],
  isPrivate: true,
  workspace: 'acme',
};
