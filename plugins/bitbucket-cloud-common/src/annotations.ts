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

/**
 * The User entity name for a Bitbucket account: `bitbucket-` and its uuid,
 * without braces, in lower case. A member can choose their nickname and
 * display name, never their uuid, so no member can steer the name onto
 * someone else's; and at 46 characters it is longer than any login another
 * provider names Users by (GitHub's are at most 39).
 *
 * @public
 */
export function bitbucketUserEntityName(uuid: string): string {
  return `bitbucket-${uuid.replace(/^\{|\}$/g, '').toLowerCase()}`;
}
