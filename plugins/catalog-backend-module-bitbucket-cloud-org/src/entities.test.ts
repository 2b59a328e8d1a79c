import { KubernetesValidatorFunctions } from '@backstage/catalog-model';
import {
  orgEntities,
  ownersGroupName,
  WorkspaceRead,
  workspaceGroupName,
} from './entities';

const ALICE = '{4b3fc47c-f21d-4942-bc5c-5ad7ca0f1a3e}';
const BOB = '{6d69852f-142d-4335-bd37-6eadb0e56440}';
const CAROL = '{5f9f5a48-afc4-4680-8b97-8388a4da3b80}';
const MALLORY = '{06eaa404-828a-4eab-af9d-e8e948a8f0cf}';

const location = (slug: string) => `url:https://bitbucket.org/${slug}`;

function workspace(
  slug: string,
  members: WorkspaceRead['members'],
  owners: string[] = [],
): WorkspaceRead {
  return { slug, members, owners, location: location(slug) };
}

/** uuid → entity name of every User made */
function userNames(...workspaces: WorkspaceRead[]) {
  return Object.fromEntries(
    orgEntities(workspaces)
      .filter(e => e.kind === 'User')
      .map(e => [
        e.metadata.annotations!['bitbucket.org/user-id'],
        e.metadata.name,
      ]),
  );
}

describe('User entity names', () => {
  it('are the Bitbucket uuid, which no member chooses: without braces, in lower case', () => {
    const names = userNames(
      workspace('acme', [
        { uuid: ALICE, nickname: 'alice' },
        // the same uuid in capitals is the same person
        { uuid: ALICE.toUpperCase(), nickname: 'alice' },
      ]),
    );
    expect(Object.values(names)).toEqual([
      'bitbucket-4b3fc47c-f21d-4942-bc5c-5ad7ca0f1a3e',
    ]);
    expect(
      KubernetesValidatorFunctions.isValidObjectName(Object.values(names)[0]),
    ).toBe(true);
  });

  it('a nickname equal to a hand-written User name gets its member no such name', () => {
    // a hand-written user:default/alice exists; mallory renames herself "alice", then "Alice"
    for (const nickname of ['alice', 'Alice', 'mallory']) {
      expect(
        userNames(
          workspace('acme', [
            { uuid: MALLORY, nickname, display_name: 'Alice Anderson' },
          ]),
        ),
      ).toEqual({
        [MALLORY]: 'bitbucket-06eaa404-828a-4eab-af9d-e8e948a8f0cf',
      });
    }
  });

  it('a full-width lookalike nickname moves nobody off their name', () => {
    const alone = userNames(
      workspace('acme', [{ uuid: ALICE, nickname: 'alice' }]),
    );
    const withLookalike = userNames(
      workspace('acme', [
        { uuid: MALLORY, nickname: 'Ａｌｉｃｅ' },
        { uuid: ALICE, nickname: 'alice' },
      ]),
    );
    expect(withLookalike[ALICE]).toBe(alone[ALICE]);
    expect(withLookalike[MALLORY]).not.toBe(alone[ALICE]);
  });

  it("a nickname that spells another member's entity name takes nothing from them", () => {
    const names = userNames(
      workspace('acme', [
        {
          uuid: MALLORY,
          nickname: 'bitbucket-6d69852f-142d-4335-bd37-6eadb0e56440',
        },
        { uuid: BOB, nickname: 'bob' },
      ]),
    );
    expect(names).toEqual({
      [MALLORY]: 'bitbucket-06eaa404-828a-4eab-af9d-e8e948a8f0cf',
      [BOB]: 'bitbucket-6d69852f-142d-4335-bd37-6eadb0e56440',
    });
  });
});

describe('workspace group names', () => {
  it('are the lowercased slug, cut to 63, alphanumeric ends', () => {
    expect(workspaceGroupName('acme')).toBe('acme');
    expect(workspaceGroupName('Acme_Corp')).toBe('acme_corp');
    expect(workspaceGroupName(`${'a'.repeat(62)}-b`)).toBe('a'.repeat(62));
    expect(ownersGroupName('acme')).toBe('acme-owners');
    expect(ownersGroupName('w'.repeat(63))).toBe(`${'w'.repeat(56)}-owners`);
  });
});

describe('orgEntities', () => {
  const members = [
    {
      uuid: ALICE,
      nickname: 'alice',
      display_name: 'Alice Anderson',
      links: { avatar: { href: 'https://avatars.example/alice.png' } },
    },
    { uuid: BOB, nickname: 'bob', display_name: 'Bob Brown' },
    { uuid: CAROL, nickname: 'carol' },
  ];
  const aliceName = 'bitbucket-4b3fc47c-f21d-4942-bc5c-5ad7ca0f1a3e';

  it('makes a User per member with the uuid annotation, title, profile and memberships, and nothing Bitbucket does not say', () => {
    const entities = orgEntities([workspace('acme', members, [ALICE])]);
    const alice = entities.find(e => e.metadata.name === aliceName);
    expect(alice).toEqual({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'User',
      metadata: {
        name: aliceName,
        title: 'Alice Anderson',
        annotations: {
          'bitbucket.org/user-id': ALICE,
          'backstage.io/managed-by-location': location('acme'),
          'backstage.io/managed-by-origin-location': location('acme'),
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
    const carol = entities.find(
      e => e.metadata.annotations?.['bitbucket.org/user-id'] === CAROL,
    )!;
    expect(carol.metadata.title).toBe('carol');
    expect(carol.spec).toEqual({
      profile: { displayName: 'carol' },
      memberOf: ['acme'],
    });
    const text = JSON.stringify(entities);
    expect(text).not.toContain('bitbucket.org/username');
    expect(text).not.toContain('email');
  });

  it('makes the workspace Group and one of its owners', () => {
    const entities = orgEntities([
      workspace('acme', members, [
        ALICE,
        // an owner missing from the members list gets no User to refer to
        '{00000000-0000-4000-a000-000000000000}',
      ]),
    ]);
    const groups = entities.filter(e => e.kind === 'Group');
    expect(groups).toEqual([
      {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Group',
        metadata: {
          name: 'acme',
          description: 'Members of the Bitbucket Cloud workspace acme',
          annotations: expect.objectContaining({
            'backstage.io/managed-by-location': location('acme'),
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
            'backstage.io/managed-by-origin-location': location('acme'),
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
    ).toEqual([aliceName]);
  });

  it('makes no owners group when no member is an owner', () => {
    const entities = orgEntities([workspace('acme', members, [])]);
    expect(entities.filter(e => e.kind === 'Group')).toEqual([
      expect.objectContaining({
        metadata: expect.objectContaining({ name: 'acme' }),
        spec: expect.objectContaining({ children: [] }),
      }),
    ]);
  });

  it('counts a member listed twice (the list changed while it was read) once', () => {
    const entities = orgEntities([workspace('acme', [...members, members[0]])]);
    expect(entities.filter(e => e.kind === 'User')).toHaveLength(3);
  });

  it('makes a person in two workspaces one User, in the groups of both', () => {
    const entities = orgEntities([
      workspace('acme', members, [ALICE]),
      workspace(
        'beta',
        [{ uuid: ALICE, nickname: 'alice', display_name: 'Alice Anderson' }],
        [],
      ),
    ]);
    const users = entities.filter(e => e.kind === 'User');
    expect(users).toHaveLength(3);
    const alice = users.find(e => e.metadata.name === aliceName)!;
    expect(alice.spec.memberOf).toEqual(['acme', 'acme-owners', 'beta']);
    // the first configured workspace that lists her manages her User
    expect(alice.metadata.annotations).toMatchObject({
      'backstage.io/managed-by-location': location('acme'),
    });
    expect(
      entities.filter(e => e.kind === 'Group').map(e => e.metadata.name),
    ).toEqual(['acme', 'acme-owners', 'beta']);
    const beta = entities.find(e => e.metadata.name === 'beta')!;
    expect(beta.metadata.annotations).toMatchObject({
      'backstage.io/managed-by-location': location('beta'),
    });
  });

  it('names every entity validly and uniquely, whatever the nicknames', () => {
    const entities = orgEntities([
      workspace('acme', [
        { uuid: ALICE, nickname: 'alice' },
        { uuid: MALLORY, nickname: 'Ａｌｉｃｅ' },
        { uuid: BOB, nickname: 'acme' },
        { uuid: CAROL, nickname: 'x'.repeat(100) },
      ]),
    ]);
    const refs = entities.map(e => `${e.kind}:${e.metadata.name}`);
    expect(new Set(refs).size).toBe(refs.length);
    for (const entity of entities) {
      expect(
        KubernetesValidatorFunctions.isValidObjectName(entity.metadata.name),
      ).toBe(true);
    }
  });
});
