/**
 * The User entity annotation holding the Bitbucket uuid, with or without
 * braces. The org provider writes it; the sign-in module's
 * `userIdMatchingUserEntityAnnotation` resolver matches it.
 *
 * @public
 */
export const BITBUCKET_USER_ID_ANNOTATION = 'bitbucket.org/user-id';

/**
 * The User entity annotation holding the Bitbucket username, matched by the
 * sign-in module's `usernameMatchingUserEntityAnnotation` resolver.
 *
 * @public
 */
export const BITBUCKET_USERNAME_ANNOTATION = 'bitbucket.org/username';
