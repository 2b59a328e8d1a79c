import { KubernetesValidatorFunctions } from '@backstage/catalog-model';
import {
  ownersGroupName,
  userEntityNames,
  workspaceEntities,
  workspaceGroupName,
} from './entities';

const ALICE = '{4b3fc47c-f21d-4942-bc5c-5ad7ca0f1a3e}';
const BOB = '{6d69852f-142d-4335-bd37-6eadb0e56440}';
const CAROL = '{5f9f5a48-afc4-4680-8b97-8388a4da3b80}';

function namesOf(members: Array<{ uuid: string; nickname?: string }>) {
  return Object.fromEntries(userEntityNames(members));
}

describe('userEntityNames', () => {
  it('uses the nickname, lowercased, as the entity name', () => {
    expect(
      namesOf([
        { uuid: ALICE, nickname: 'alice' },
        { uuid: BOB, nickname: 'Bob.Brown' },
      ]),
    ).toEqual({ [ALICE]: 'alice', [BOB]: 'bob.brown' });
  });

  it('makes a valid entity name of any nickname', () => {
    const names = namesOf([
      { uuid: ALICE, nickname: 'José Ñandú' },
      { uuid: BOB, nickname: '--dev ops!!' },
      { uuid: CAROL, nickname: 'x'.repeat(100) },
    ]);
    expect(names).toEqual({
      [ALICE]: 'jose-nandu',
      [BOB]: 'dev-ops',
      [CAROL]: 'x'.repeat(63),
    });
  });

  it('names a member whose nickname has nothing usable after their uuid', () => {
    expect(
      namesOf([
        { uuid: ALICE, nickname: '李雷' },
        { uuid: BOB, nickname: undefined },
      ]),
    ).toEqual({ [ALICE]: 'user-4b3fc47c', [BOB]: 'user-6d69852f' });
  });

  it('gives every member who shares a nickname a suffix from their own uuid, so nobody takes the plain name', () => {
    expect(
      namesOf([
        { uuid: ALICE, nickname: 'sam' },
        { uuid: BOB, nickname: 'Sam' },
        { uuid: CAROL, nickname: 'carol' },
      ]),
    ).toEqual({
      [ALICE]: 'sam-4b3fc47c',
      [BOB]: 'sam-6d69852f',
      [CAROL]: 'carol',
    });
  });

  it('gives the same names whatever order Bitbucket lists the members in', () => {
    const members = [
      { uuid: ALICE, nickname: 'sam' },
      { uuid: BOB, nickname: 'sam' },
      { uuid: CAROL, nickname: 'sam' },
    ];
    const forward = namesOf(members);
    expect(namesOf([...members].reverse())).toEqual(forward);
    expect(namesOf([members[1], members[2], members[0]])).toEqual(forward);
    expect(new Set(Object.values(forward)).size).toBe(3);
  });

  it("keeps names unique when a suffixed name is also someone's nickname, or two uuids share 8 digits", () => {
    const twinA = '{abcdef01-0000-4000-a000-000000000001}';
    const twinB = '{abcdef01-0000-4000-a000-000000000002}';
    const names = namesOf([
      { uuid: ALICE, nickname: 'sam' },
      { uuid: BOB, nickname: 'sam' },
      { uuid: CAROL, nickname: 'sam-4b3fc47c' },
      { uuid: twinA, nickname: 'kim' },
      { uuid: twinB, nickname: 'kim' },
    ]);
    expect(names).toEqual({
      [ALICE]: 'sam-4b3fc47cf21d4942bc5c5ad7ca0f1a3e',
      [BOB]: 'sam-6d69852f',
      [CAROL]: 'sam-4b3fc47c-5f9f5a48',
      [twinA]: 'kim-abcdef0100004000a000000000000001',
      [twinB]: 'kim-abcdef0100004000a000000000000002',
    });
    for (const name of Object.values(names)) {
      expect(KubernetesValidatorFunctions.isValidObjectName(name)).toBe(true);
    }
  });

  it('keeps suffixed names within 63 characters', () => {
    const long = 'n'.repeat(80);
    const names = Object.values(
      namesOf([
        { uuid: ALICE, nickname: long },
        { uuid: BOB, nickname: long },
      ]),
    );
    expect(names).toEqual([
      `${'n'.repeat(54)}-4b3fc47c`,
      `${'n'.repeat(54)}-6d69852f`,
    ]);
    for (const name of names) {
      expect(KubernetesValidatorFunctions.isValidObjectName(name)).toBe(true);
    }
  });
});

describe('workspace group names', () => {
  it("follow the auth module's workspaceOwnership rule: lowercased slug, cut to 63, alphanumeric ends", () => {
    expect(workspaceGroupName('acme')).toBe('acme');
    expect(workspaceGroupName('Acme_Corp')).toBe('acme_corp');
    expect(workspaceGroupName(`${'a'.repeat(62)}-b`)).toBe('a'.repeat(62));
    expect(ownersGroupName('acme')).toBe('acme-owners');
    expect(ownersGroupName('w'.repeat(63))).toBe(`${'w'.repeat(56)}-owners`);
  });
});

describe('workspaceEntities', () => {
  const location = 'url:https://bitbucket.org/acme';
  const members = [
    {
      uuid: ALICE,
      nickname: 'alice',
      displayName: 'Alice Anderson',
      avatarUrl: 'https://avatars.example/alice.png',
    },
    { uuid: BOB, nickname: 'bob', displayName: 'Bob Brown' },
    { uuid: CAROL, nickname: 'carol' },
  ];

  it('makes a User per member with the uuid annotation, profile and memberships, and nothing Bitbucket does not say', () => {
    const entities = workspaceEntities({
      workspace: 'acme',
      members,
      permissions: [
        { uuid: ALICE, permission: 'owner' },
        { uuid: BOB, permission: 'member' },
        { uuid: CAROL, permission: 'collaborator' },
      ],
      location,
    });
    const alice = entities.find(e => e.metadata.name === 'alice');
    expect(alice).toEqual({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'User',
      metadata: {
        name: 'alice',
        annotations: {
          'bitbucket.org/user-id': ALICE,
          'backstage.io/managed-by-location': location,
          'backstage.io/managed-by-origin-location': location,
        },
      },
      spec: {
        profile: {
          displayName: 'Alice Anderson',
          picture: 'https://avatars.example/alice.png',
        },
        memberOf: ['acme', 'acme-owners'],
      },
    });
    const carol = entities.find(e => e.metadata.name === 'carol')!;
    expect(carol.spec).toEqual({
      profile: { displayName: 'carol' },
      memberOf: ['acme'],
    });
    const text = JSON.stringify(entities);
    expect(text).not.toContain('bitbucket.org/username');
    expect(text).not.toContain('email');
  });

  it('makes the workspace Group and, from the permissions, one of its owners', () => {
    const entities = workspaceEntities({
      workspace: 'acme',
      members,
      permissions: [
        { uuid: ALICE, permission: 'owner' },
        // an owner missing from the members list gets no User to refer to
        { uuid: '{00000000-0000-4000-a000-000000000000}', permission: 'owner' },
      ],
      location,
    });
    const groups = entities.filter(e => e.kind === 'Group');
    expect(groups).toEqual([
      {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Group',
        metadata: {
          name: 'acme',
          description: 'Members of the Bitbucket Cloud workspace acme',
          annotations: expect.objectContaining({
            'backstage.io/managed-by-location': location,
          }),
        },
        spec: {
          type: 'workspace',
          profile: { displayName: 'acme' },
          children: ['acme-owners'],
        },
      },
      {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Group',
        metadata: {
          name: 'acme-owners',
          description: 'Owners of the Bitbucket Cloud workspace acme',
          annotations: expect.objectContaining({
            'backstage.io/managed-by-origin-location': location,
          }),
        },
        spec: {
          type: 'workspace-owners',
          profile: { displayName: 'acme owners' },
          parent: 'acme',
          children: [],
        },
      },
    ]);
    expect(
      entities
        .filter(e => e.kind === 'User')
        .filter(e => (e.spec.memberOf as string[]).includes('acme-owners'))
        .map(e => e.metadata.name),
    ).toEqual(['alice']);
  });

  it('makes no owners group when no member is an owner', () => {
    const entities = workspaceEntities({
      workspace: 'acme',
      members,
      permissions: [{ uuid: BOB, permission: 'member' }],
      location,
    });
    expect(entities.filter(e => e.kind === 'Group')).toEqual([
      expect.objectContaining({
        metadata: expect.objectContaining({ name: 'acme' }),
        spec: expect.objectContaining({ children: [] }),
      }),
    ]);
  });

  it('counts a member listed twice (the list changed while it was read) once', () => {
    const entities = workspaceEntities({
      workspace: 'acme',
      members: [...members, members[0]],
      permissions: [],
      location,
    });
    expect(entities.filter(e => e.kind === 'User')).toHaveLength(3);
  });
});
