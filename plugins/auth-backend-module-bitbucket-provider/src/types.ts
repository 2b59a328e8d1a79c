/**
 * The Bitbucket Cloud identity behind a sign-in, as fetched by this module.
 * Only confirmed email addresses ever appear here: Bitbucket lets anyone add
 * any address to their account without proving they own it.
 *
 * @public
 */
export interface BitbucketIdentity {
  /** Bitbucket's stable user id, with its curly braces, e.g. `{5c1f...}` */
  uuid: string;
  /** Atlassian account id, e.g. `557058:...` */
  accountId: string;
  /**
   * Bitbucket username, when Bitbucket sends one. The user can change it and
   * someone else can then take it: prefer `uuid` for identity
   */
  username?: string;
  /** Not unique and freely chosen: never an identity */
  nickname?: string;
  /** The display name, else the nickname, the username or the uuid */
  displayName: string;
  /** The avatar's URL, as Bitbucket gives it */
  avatarUrl?: string;
  /** The identity email: the primary address if confirmed, else the first confirmed one */
  email?: string;
  /** Every confirmed address of the account, primary first */
  confirmedEmails: string[];
  /**
   * The user's roles in the workspaces of `auth.providers.bitbucket.<environment>.workspaces`
   * (only those they belong to); undefined without that allow-list
   */
  workspaces?: BitbucketWorkspaceMembership[];
}

/**
 * One of the user's Bitbucket workspaces and the role they have in it.
 *
 * @public
 */
export interface BitbucketWorkspaceMembership {
  /** The workspace's slug, as in its URL, e.g. `acme` */
  slug: string;
  /** The workspace's display name */
  name?: string;
  /** The workspace's uuid, with its curly braces */
  uuid?: string;
  /** The user's role in the workspace; Bitbucket removed the collaborator role in 2026 */
  permission: 'owner' | 'member';
}
