/**
 * `bench:catalog`'s catalogs: exactly `size` User entities, of which five are
 * the simulator demo accounts that sign in and the rest fillers. Generated,
 * deterministic (the same file for the same size), written as one
 * multi-document YAML file (one JSON object per document) that the catalog
 * reads as a file location.
 *
 * The signing-in users are shaped so that, with the resolver chain
 * emailMatchingUserEntityProfileEmail → emailLocalPartMatchingUserEntityName →
 * userIdMatchingUserEntityAnnotation → usernameMatchingUserEntityAnnotation,
 * the first three look them up in the catalog and find nobody, and only the
 * fourth matches: their `spec.profile.email` is not their Bitbucket address,
 * their name is not its local part, and they carry only the
 * `bitbucket.org/username` annotation, not `bitbucket.org/user-id`.
 */
import crypto from 'node:crypto';
import type { BenchUser } from './driver';

export interface SigningUser extends BenchUser {
  /** The confirmed address our module passes to the email resolvers */
  email: string;
  /** The demo account's Bitbucket uuid, with braces */
  uuid: string;
  entityName: string;
  displayName: string;
}

/**
 * The demo accounts with a confirmed email (carol-bb has none, so the email
 * resolvers would skip her without a catalog lookup)
 */
export const signingUsers: SigningUser[] = [
  {
    username: 'alice-bb',
    email: 'alice@example.com',
    uuid: '{4b3fc47c-f21d-4942-bc5c-5ad7ca0f1a3e}',
    entityName: 'anderson-a',
    displayName: 'Alice Anderson',
  },
  {
    username: 'bob-bb',
    email: 'bob.brown@example.com',
    uuid: '{6d69852f-142d-4335-bd37-6eadb0e56440}',
    entityName: 'brown-b',
    displayName: 'Bob Brown',
  },
  {
    username: 'mallory-bb',
    email: 'mallory@evil.example',
    uuid: '{06eaa404-828a-4eab-af9d-e8e948a8f0cf}',
    entityName: 'moss-m',
    displayName: 'Mallory Moss',
  },
  {
    username: 'dave-bb',
    email: 'dave@example.com',
    uuid: '{313563ba-8bb3-48f4-b702-9fbbbd60e576}',
    entityName: 'davis-d',
    displayName: 'Dave Davis',
  },
  {
    username: 'grace-bb',
    email: 'grace@example.com',
    uuid: '{f552451f-16f4-4034-8d42-05d7e6e39984}',
    entityName: 'green-g',
    displayName: 'Grace Green',
  },
].map(user => ({ ...user, entityRef: `user:default/${user.entityName}` }));

const FIRST = [
  'ada', 'alan', 'barbara', 'brian', 'claude', 'donald', 'edsger', 'frances',
  'grace', 'guido', 'hedy', 'ivan', 'john', 'katherine', 'ken', 'leslie',
  'linus', 'margaret', 'niklaus', 'radia', 'richard', 'shafi', 'tim', 'yukihiro',
]; // prettier-ignore
const LAST = [
  'lovelace', 'turing', 'liskov', 'kernighan', 'shannon', 'knuth', 'dijkstra',
  'allen', 'hopper', 'rossum', 'lamarr', 'sutherland', 'backus', 'johnson',
  'thompson', 'lamport', 'torvalds', 'hamilton', 'wirth', 'perlman', 'stallman',
  'goldwasser', 'berners-lee', 'matsumoto',
]; // prettier-ignore

/** Fillers per team (Group) */
const TEAM_SIZE = 200;

/** A stable uuid for filler `i` (v4 layout, from a hash: the same every run) */
function fillerUuid(i: number): string {
  const h = crypto.createHash('sha256').update(`filler-${i}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(
    17,
    20,
  )}-${h.slice(20, 32)}`;
}

/**
 * The catalog file: groups, the signing-in users, then `size - 5` fillers,
 * each filler with a distinct name, email, user-id and username annotation.
 */
export function catalogYaml(size: number): string {
  const fillers = size - signingUsers.length;
  if (fillers < 0) {
    throw new Error(`a catalog needs at least ${signingUsers.length} users`);
  }
  const teams = Math.max(1, Math.ceil(fillers / TEAM_SIZE));
  const docs: object[] = [
    {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: { name: 'bench-team' },
      spec: { type: 'team', children: [] },
    },
  ];
  for (let t = 0; t < teams; t++) {
    docs.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: { name: `team-${String(t).padStart(3, '0')}` },
      spec: { type: 'team', children: [] },
    });
  }
  for (const user of signingUsers) {
    const [first, last] = user.displayName.toLowerCase().split(' ');
    docs.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'User',
      metadata: {
        name: user.entityName,
        annotations: { 'bitbucket.org/username': user.username },
      },
      spec: {
        profile: {
          displayName: user.displayName,
          email: `${first}.${last}@corp.example`,
        },
        memberOf: ['bench-team'],
      },
    });
  }
  for (let i = 1; i <= fillers; i++) {
    const first = FIRST[i % FIRST.length];
    const last = LAST[Math.floor(i / FIRST.length) % LAST.length];
    const n = String(i).padStart(5, '0');
    const uuid = fillerUuid(i);
    docs.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'User',
      metadata: {
        name: `${first}-${last}-${n}`,
        annotations: {
          'bitbucket.org/user-id': `{${uuid}}`,
          'bitbucket.org/username': `${first}${last.replace('-', '')}${n}`,
        },
      },
      spec: {
        profile: {
          displayName: `${first[0].toUpperCase()}${first.slice(
            1,
          )} ${last[0].toUpperCase()}${last.slice(1)} ${n}`,
          email: `${first}.${last}.${n}@corp.example`,
        },
        memberOf: [`team-${String((i - 1) % teams).padStart(3, '0')}`],
      },
    });
  }
  return `${docs.map(doc => `---\n${JSON.stringify(doc)}\n`).join('')}`;
}

/**
 * The catalog requests the auth backend makes for one sign-in through the
 * chain (CatalogAuthResolverContext.findCatalogUser → CatalogClient), as
 * paths under /api/catalog; the first three must find nobody, the last one
 * exactly the user.
 */
export function resolverRequests(
  user: SigningUser,
): Array<{ resolver: string; path: string; expect: 'none' | 'one' }> {
  const bare = user.uuid.replace(/^\{|\}$/g, '');
  const filter = (parts: string[]) =>
    `/entities?filter=${encodeURIComponent(parts.join(','))}`;
  return [
    {
      resolver: 'emailMatchingUserEntityProfileEmail',
      path: filter([`spec.profile.email=${user.email}`, 'kind=user']),
      expect: 'none',
    },
    {
      resolver: 'emailLocalPartMatchingUserEntityName',
      path: `/entities/by-name/User/default/${encodeURIComponent(
        user.email.split('@')[0],
      )}`,
      expect: 'none',
    },
    {
      resolver: 'userIdMatchingUserEntityAnnotation',
      path: filter([
        `metadata.annotations.bitbucket.org/user-id={${bare}}`,
        `metadata.annotations.bitbucket.org/user-id=${bare}`,
        'kind=user',
      ]),
      expect: 'none',
    },
    {
      resolver: 'usernameMatchingUserEntityAnnotation',
      path: filter([
        `metadata.annotations.bitbucket.org/username=${user.username}`,
        'kind=user',
      ]),
      expect: 'one',
    },
  ];
}
