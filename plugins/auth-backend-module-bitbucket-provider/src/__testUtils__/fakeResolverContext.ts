import { ConflictError, NotFoundError } from '@backstage/errors';
import {
  AuthResolverCatalogUserQuery,
  AuthResolverContext,
} from '@backstage/plugin-auth-node';
import { BitbucketSignInInfo } from '../resolvers';
import { BitbucketIdentity } from '../identity';

export interface FakeUser {
  name: string;
  email?: string;
  annotations?: Record<string, string>;
}

/** Looks users up the way the auth backend's catalog context does: one match, else NotFound or Conflict */
export function fakeContext(users: FakeUser[]): AuthResolverContext & {
  queries: AuthResolverCatalogUserQuery[];
} {
  const queries: AuthResolverCatalogUserQuery[] = [];
  const matches = (user: FakeUser, key: string, value: string | string[]) => {
    const wanted = [value].flat().map(v => v.toLowerCase());
    const actual =
      key === 'spec.profile.email'
        ? user.email
        : user.annotations?.[key.replace('metadata.annotations.', '')];
    return actual !== undefined && wanted.includes(actual.toLowerCase());
  };
  const find = (query: AuthResolverCatalogUserQuery) => {
    if ('entityRef' in query) {
      const name =
        typeof query.entityRef === 'string'
          ? query.entityRef
          : query.entityRef.name;
      return users.filter(u => u.name === name);
    }
    if ('filter' in query) {
      const filter = query.filter as Record<string, string | string[]>;
      return users.filter(u =>
        Object.entries(filter).every(([k, v]) => matches(u, k, v)),
      );
    }
    throw new Error('unexpected query');
  };
  return {
    queries,
    issueToken: async params => ({ token: `token-for-${params.claims.sub}` }),
    findCatalogUser: async () => {
      throw new Error('not used');
    },
    resolveOwnershipEntityRefs: async () => ({ ownershipEntityRefs: [] }),
    signInWithCatalogUser: async (query, options) => {
      queries.push(query);
      const found = find(query);
      if (found.length > 1) {
        throw new ConflictError('User lookup resulted in multiple matches');
      }
      if (found.length === 0) {
        const fallback = options?.dangerousEntityRefFallback?.entityRef;
        if (fallback) {
          const name = typeof fallback === 'string' ? fallback : fallback.name;
          return { token: `token-for-user:default/${name}` };
        }
        throw new NotFoundError('User not found');
      }
      return { token: `token-for-user:default/${found[0].name}` };
    },
  } as AuthResolverContext & { queries: AuthResolverCatalogUserQuery[] };
}

export function info(
  identity: Partial<BitbucketIdentity>,
): BitbucketSignInInfo {
  const fullProfile: BitbucketIdentity = {
    uuid: '{5c1f0000-0000-4000-8000-00000000000a}',
    accountId: '557058:000a',
    username: 'alice-bb',
    displayName: 'Alice Anderson',
    email: 'alice@example.com',
    confirmedEmails: ['alice@example.com'],
    ...identity,
  };
  return {
    profile: { email: fullProfile.email, displayName: fullProfile.displayName },
    result: {
      fullProfile,
      session: {
        accessToken: 'a',
        tokenType: 'bearer',
        scope: 'account email',
      },
    },
  };
}

export const catalog: FakeUser[] = [
  { name: 'alice', email: 'alice@example.com' },
  {
    name: 'dave',
    email: 'dave@example.com',
    annotations: {
      'bitbucket.org/user-id': '5c1f0000-0000-4000-8000-00000000000d',
      'bitbucket.org/username': 'dave-bb',
    },
  },
  {
    name: 'erin',
    annotations: {
      'bitbucket.org/user-id': '{5c1f0000-0000-4000-8000-00000000000e}',
    },
  },
];
