/**
 * A valid entity name made of any text: characters other than
 * `[a-zA-Z0-9._-]` become `-`, at most 63 characters, alphanumeric at both
 * ends.
 *
 * @public
 */
export function toEntityName(value: string): string {
  return value
    .replace(/[^a-zA-Z0-9._-]+/g, '-')
    .slice(0, 63)
    .replace(/^[^a-zA-Z0-9]+|[^a-zA-Z0-9]+$/g, '');
}

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
