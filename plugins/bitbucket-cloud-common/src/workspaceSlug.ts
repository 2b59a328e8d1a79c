/** Bitbucket's workspace slugs: lowercase letters, digits, `-`, `_` and `.` */
const WORKSPACE_SLUG = /^[a-z0-9][a-z0-9_.-]*$/;

/**
 * Stops start-up on a configured workspace that is not a slug, naming the
 * config key `key` it came from: Bitbucket would answer 404 for it, which
 * reads as "not a member" for everyone
 *
 * @public
 */
export function assertWorkspaceSlug(slug: string, key: string): void {
  if (!WORKSPACE_SLUG.test(slug)) {
    const got = JSON.stringify(slug);
    throw new Error(
      `${key} must be a workspace slug as in https://bitbucket.org/<slug> (lowercase letters, digits, '-', '_', '.'), got ${got}`,
    );
  }
}
