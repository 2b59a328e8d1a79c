import { ConflictError, NotFoundError } from '@backstage/errors';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { readBitbucketSignInResolver } from './signInResolver';
import {
  catalog,
  fakeContext,
  info,
} from './__testUtils__/fakeResolverContext';

describe('readBitbucketSignInResolver', () => {
  const logger = mockServices.logger.mock();

  function chain(resolvers: object[]) {
    return readBitbucketSignInResolver({
      config: new ConfigReader({ signIn: { resolvers } }),
      logger,
    })!;
  }

  beforeEach(() => jest.clearAllMocks());

  it('tries resolvers in the configured order, passing over NotFoundError', async () => {
    const ctx = fakeContext(catalog);
    const resolver = chain([
      { resolver: 'emailMatchingUserEntityProfileEmail' },
      { resolver: 'usernameMatchingUserEntityAnnotation' },
      { resolver: 'userIdMatchingUserEntityAnnotation' },
    ]);
    await expect(
      resolver(
        info({ username: 'dave-bb', email: undefined, confirmedEmails: [] }),
        ctx,
      ),
    ).resolves.toEqual({ token: 'token-for-user:default/dave' });
    // the email resolver made no catalog query without an email; username matched before user-id was tried
    expect(ctx.queries).toEqual([
      { filter: { 'metadata.annotations.bitbucket.org/username': 'dave-bb' } },
    ]);
  });

  it('stops at the first error that is not NotFoundError', async () => {
    const ctx = fakeContext([
      ...catalog,
      { name: 'alice2', email: 'alice@example.com' },
      { name: 'x', annotations: { 'bitbucket.org/username': 'alice-bb' } },
    ]);
    const resolver = chain([
      { resolver: 'emailMatchingUserEntityProfileEmail' },
      { resolver: 'usernameMatchingUserEntityAnnotation' },
    ]);
    await expect(resolver(info({}), ctx)).rejects.toThrow(ConflictError);
    expect(ctx.queries).toHaveLength(1);
  });

  it('reports every value tried, in the error and once in the log, without tokens', async () => {
    const resolver = chain([
      { resolver: 'emailMatchingUserEntityProfileEmail' },
      { resolver: 'userIdMatchingUserEntityAnnotation' },
      { resolver: 'usernameMatchingUserEntityAnnotation' },
    ]);
    const attempt = resolver(
      info({ username: 'grace-bb', email: 'grace@example.com' }),
      fakeContext(catalog),
    );
    await expect(attempt).rejects.toThrow(NotFoundError);
    // one sentence the engineer can act on first, then what the admin needs
    await expect(attempt).rejects.toThrow(
      'Your Bitbucket account grace-bb is not in this Backstage catalog yet; ask your Backstage admin to add you. Looked for: no User entity with spec.profile.email=grace@example.com; no User entity with annotation bitbucket.org/user-id={5c1f0000-0000-4000-8000-00000000000a}; no User entity with annotation bitbucket.org/username=grace-bb',
    );
    expect(logger.warn).toHaveBeenCalledWith(
      'Bitbucket user grace-bb {5c1f0000-0000-4000-8000-00000000000a} matches no User entity in the catalog: no User entity with spec.profile.email=grace@example.com; no User entity with annotation bitbucket.org/user-id={5c1f0000-0000-4000-8000-00000000000a}; no User entity with annotation bitbucket.org/username=grace-bb',
    );
  });

  it('names the available resolvers when the config asks for an unknown one', () => {
    expect(() => chain([{ resolver: 'emailMatchingUserEntityEmail' }])).toThrow(
      /Sign-in resolver 'emailMatchingUserEntityEmail' is not available for Bitbucket; use one of emailMatchingUserEntityProfileEmail/,
    );
  });

  it('rejects invalid resolver options at start-up', () => {
    expect(() =>
      chain([
        {
          resolver: 'emailMatchingUserEntityProfileEmail',
          allowedDomains: 'example.com',
        },
      ]),
    ).toThrow(/Invalid sign-in resolver options/);
  });

  it('warns when the local-part resolver runs without allowedDomains', () => {
    chain([{ resolver: 'emailLocalPartMatchingUserEntityName' }]);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('set allowedDomains'),
    );
  });

  it('warns that a username can be renamed and taken by someone else', () => {
    chain([{ resolver: 'usernameMatchingUserEntityAnnotation' }]);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(
        /usernameMatchingUserEntityAnnotation .*renames .*takes the old name.*userIdMatchingUserEntityAnnotation/,
      ),
    );
  });

  it('does not warn about the uuid resolver', () => {
    chain([{ resolver: 'userIdMatchingUserEntityAnnotation' }]);
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('is undefined when no resolvers are configured', () => {
    expect(
      readBitbucketSignInResolver({ config: new ConfigReader({}), logger }),
    ).toBeUndefined();
  });
});
