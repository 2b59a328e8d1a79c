import { ConflictError, NotFoundError } from '@backstage/errors';
import { bitbucketSignInResolvers } from './resolvers';
import {
  catalog,
  fakeContext,
  info,
} from './__testUtils__/fakeResolverContext';

const {
  emailMatchingUserEntityProfileEmail,
  emailLocalPartMatchingUserEntityName,
  userIdMatchingUserEntityAnnotation,
  usernameMatchingUserEntityAnnotation,
} = bitbucketSignInResolvers;

describe('bitbucketSignInResolvers', () => {
  describe('emailMatchingUserEntityProfileEmail', () => {
    it('signs in the User whose spec.profile.email is the confirmed identity email', async () => {
      const ctx = fakeContext(catalog);
      await expect(
        emailMatchingUserEntityProfileEmail()(info({}), ctx),
      ).resolves.toEqual({
        token: 'token-for-user:default/alice',
      });
      expect(ctx.queries).toEqual([
        { filter: { 'spec.profile.email': 'alice@example.com' } },
      ]);
    });

    it('throws NotFoundError, not a chain-stopping error, when there is no confirmed email', async () => {
      const error = emailMatchingUserEntityProfileEmail()(
        info({ email: undefined, confirmedEmails: [] }),
        fakeContext(catalog),
      );
      await expect(error).rejects.toThrow(NotFoundError);
      await expect(error).rejects.toThrow(
        'Bitbucket user alice-bb has no confirmed email address',
      );
    });

    it('says what it looked for when no User matches', async () => {
      await expect(
        emailMatchingUserEntityProfileEmail()(
          info({ email: 'zed@example.com' }),
          fakeContext(catalog),
        ),
      ).rejects.toThrow(
        'no User entity with spec.profile.email=zed@example.com',
      );
    });

    it('refuses two Users with the same email instead of picking one', async () => {
      const ctx = fakeContext([
        ...catalog,
        { name: 'alice2', email: 'alice@example.com' },
      ]);
      const error = emailMatchingUserEntityProfileEmail()(info({}), ctx);
      await expect(error).rejects.toThrow(ConflictError);
      await expect(error).rejects.toThrow(
        /more than one User entity has spec.profile.email=alice@example.com/,
      );
    });

    it('enforces allowedDomains, case-insensitively', async () => {
      const resolver = emailMatchingUserEntityProfileEmail({
        allowedDomains: ['Example.COM'],
      });
      await expect(
        resolver(info({}), fakeContext(catalog)),
      ).resolves.toBeDefined();
      await expect(
        emailMatchingUserEntityProfileEmail({
          allowedDomains: ['corp.example'],
        })(info({}), fakeContext(catalog)),
      ).rejects.toThrow(
        'email domain example.com of Bitbucket user alice-bb is not in allowedDomains',
      );
    });

    it('falls back to a valid entity name when allowed to sign in users missing from the catalog', async () => {
      const resolver = emailMatchingUserEntityProfileEmail({
        dangerouslyAllowSignInWithoutUserInCatalog: true,
      });
      await expect(
        resolver(
          info({ email: 'new.person+bb@example.com' }),
          fakeContext(catalog),
        ),
      ).resolves.toEqual({
        token: 'token-for-user:default/new.person-bb',
      });
    });
  });

  describe('emailLocalPartMatchingUserEntityName', () => {
    it('signs in the User named like the local part of the confirmed email', async () => {
      const ctx = fakeContext(catalog);
      await expect(
        emailLocalPartMatchingUserEntityName()(info({}), ctx),
      ).resolves.toEqual({
        token: 'token-for-user:default/alice',
      });
      expect(ctx.queries).toEqual([{ entityRef: { name: 'alice' } }]);
    });

    it('throws NotFoundError without a confirmed email and outside allowedDomains', async () => {
      await expect(
        emailLocalPartMatchingUserEntityName()(
          info({ email: undefined }),
          fakeContext(catalog),
        ),
      ).rejects.toThrow(NotFoundError);
      await expect(
        emailLocalPartMatchingUserEntityName({
          allowedDomains: ['corp.example'],
        })(info({ email: 'alice@evil.example' }), fakeContext(catalog)),
      ).rejects.toThrow(NotFoundError);
    });
  });

  describe('userIdMatchingUserEntityAnnotation', () => {
    it('matches the annotation written without braces', async () => {
      const ctx = fakeContext(catalog);
      await expect(
        userIdMatchingUserEntityAnnotation()(
          info({ uuid: '{5c1f0000-0000-4000-8000-00000000000d}' }),
          ctx,
        ),
      ).resolves.toEqual({ token: 'token-for-user:default/dave' });
    });

    it('matches the annotation written with braces', async () => {
      await expect(
        userIdMatchingUserEntityAnnotation()(
          info({ uuid: '{5c1f0000-0000-4000-8000-00000000000e}' }),
          fakeContext(catalog),
        ),
      ).resolves.toEqual({ token: 'token-for-user:default/erin' });
    });

    it('says which annotation value it looked for', async () => {
      await expect(
        userIdMatchingUserEntityAnnotation()(info({}), fakeContext(catalog)),
      ).rejects.toThrow(
        'no User entity with annotation bitbucket.org/user-id={5c1f0000-0000-4000-8000-00000000000a}',
      );
    });

    it('falls back to the name the org provider gives the uuid', async () => {
      await expect(
        userIdMatchingUserEntityAnnotation({
          dangerouslyAllowSignInWithoutUserInCatalog: true,
        })(info({}), fakeContext([])),
      ).resolves.toEqual({
        token:
          'token-for-user:default/bitbucket-5c1f0000-0000-4000-8000-00000000000a',
      });
    });
  });

  describe('usernameMatchingUserEntityAnnotation', () => {
    it('matches annotation bitbucket.org/username', async () => {
      await expect(
        usernameMatchingUserEntityAnnotation()(
          info({ username: 'dave-bb' }),
          fakeContext(catalog),
        ),
      ).resolves.toEqual({ token: 'token-for-user:default/dave' });
      await expect(
        usernameMatchingUserEntityAnnotation()(
          info({ username: 'grace-bb' }),
          fakeContext(catalog),
        ),
      ).rejects.toThrow(
        'no User entity with annotation bitbucket.org/username=grace-bb',
      );
    });
  });

  describe('usernameMatchingUserEntityAnnotation without a username', () => {
    it('finds nobody, even when the nickname is a username in the catalog', async () => {
      const ctx = fakeContext(catalog);
      const error = usernameMatchingUserEntityAnnotation()(
        info({ username: undefined, nickname: 'dave-bb' }),
        ctx,
      );
      await expect(error).rejects.toThrow(NotFoundError);
      await expect(error).rejects.toThrow(
        'Bitbucket user {5c1f0000-0000-4000-8000-00000000000a} has no username',
      );
      expect(ctx.queries).toEqual([]);
    });

    it('falls back to the uuid, never the nickname, when allowed to sign in users missing from the catalog', async () => {
      await expect(
        usernameMatchingUserEntityAnnotation({
          dangerouslyAllowSignInWithoutUserInCatalog: true,
        })(info({ username: undefined, nickname: 'dave-bb' }), fakeContext([])),
      ).resolves.toEqual({
        token:
          'token-for-user:default/bitbucket-5c1f0000-0000-4000-8000-00000000000a',
      });
    });
  });

  it('says the catalog did not answer only when the catalog lookup failed', async () => {
    const failing = (error: Error) => ({
      ...fakeContext(catalog),
      signInWithCatalogUser: async () => {
        throw error;
      },
    });
    const resolver = emailMatchingUserEntityProfileEmail();
    const catalogDown = Object.assign(new Error('Request failed with 503'), {
      name: 'ResponseError',
    });
    await expect(resolver(info({}), failing(catalogDown))).rejects.toThrow(
      'The Backstage catalog did not answer (Request failed with 503)',
    );
    // e.g. issuing the Backstage token after the User was found
    const signingFailed = new Error('no signing key');
    await expect(resolver(info({}), failing(signingFailed))).rejects.toBe(
      signingFailed,
    );
  });
});
