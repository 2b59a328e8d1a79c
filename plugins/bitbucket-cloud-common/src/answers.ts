import { z } from 'zod/v3';

/**
 * The shapes of Bitbucket Cloud's answers this project reads. Only the fields
 * used are declared; unknown fields are dropped, so a bloated answer costs no
 * memory after it is parsed.
 */

const link = z.object({ href: z.string() }).partial();

/** A user as `/2.0/user` and member lists show it @public */
export interface BitbucketUser {
  /** With its curly braces */
  uuid: string;
  /** The Atlassian account id */
  account_id?: string;
  /** Often absent; its owner can change it */
  username?: string;
  /** Chosen by its owner, not unique: never an identity */
  nickname?: string;
  /** For humans */
  display_name?: string;
  /** `links.avatar.href`: the avatar's URL */
  links?: { avatar?: { href?: string } };
}

/**
 * Checks a user. The schemas are typed by hand, so their public types read
 * the same on every machine (inferred ones print in no fixed order).
 *
 * @public
 */
export const bitbucketUserSchema: z.ZodType<BitbucketUser> = z.object({
  uuid: z.string().min(1),
  account_id: z.string().optional(),
  username: z.string().optional(),
  nickname: z.string().optional(),
  display_name: z.string().optional(),
  links: z.object({ avatar: link.optional() }).partial().optional(),
});

/** One of a user's email addresses; only confirmed ones prove anything @public */
export interface BitbucketEmail {
  /** The address */
  email: string;
  /** The account's primary address */
  is_primary?: boolean;
  /** Proven by its owner; anyone can add an unconfirmed one */
  is_confirmed?: boolean;
}

/** Checks one row of `/2.0/user/emails` @public */
export const bitbucketEmailSchema: z.ZodType<BitbucketEmail> = z.object({
  email: z.string(),
  is_primary: z.boolean().optional(),
  is_confirmed: z.boolean().optional(),
});

/** `{uuid, slug, name}` of a workspace, as answers embed it @public */
export interface BitbucketWorkspace {
  /** With its curly braces */
  uuid?: string;
  /** As in https://bitbucket.org/<slug> */
  slug: string;
  /** For humans */
  name?: string;
}

/** Checks a workspace as answers embed it @public */
export const bitbucketWorkspaceSchema: z.ZodType<BitbucketWorkspace> = z.object(
  {
    uuid: z.string().optional(),
    slug: z.string().min(1),
    name: z.string().optional(),
  },
);

/** The caller's role in one workspace; since 2026 `owner` or `member` (collaborator is gone) @public */
export interface BitbucketWorkspacePermission {
  /** The caller's role */
  permission: 'owner' | 'member';
  /** Which workspace */
  workspace: BitbucketWorkspace;
}

/** Checks `/2.0/user/workspaces/{workspace}/permission` @public */
export const bitbucketWorkspacePermissionSchema: z.ZodType<BitbucketWorkspacePermission> =
  z.object({
    permission: z.enum(['owner', 'member']),
    workspace: bitbucketWorkspaceSchema,
  });

/** One row of `/2.0/workspaces/{workspace}/members` @public */
export interface BitbucketWorkspaceMember {
  /** The member, without email or username */
  user: BitbucketUser;
}

/** Checks one row of `/2.0/workspaces/{workspace}/members` @public */
export const bitbucketWorkspaceMemberSchema: z.ZodType<BitbucketWorkspaceMember> =
  z.object({ user: bitbucketUserSchema });

/** One row of `/2.0/workspaces/{workspace}/permissions` @public */
export interface BitbucketWorkspaceMemberPermission {
  /** The member's uuid */
  user: { uuid: string };
  /** The member's role */
  permission: 'owner' | 'member';
}

/** Checks one row of `/2.0/workspaces/{workspace}/permissions` @public */
export const bitbucketWorkspaceMemberPermissionSchema: z.ZodType<BitbucketWorkspaceMemberPermission> =
  z.object({
    user: z.object({ uuid: z.string().min(1) }),
    permission: z.enum(['owner', 'member']),
  });

/** A page of a paginated list, before its rows are checked */
export const pageSchema = z.object({
  values: z.array(z.unknown()),
  next: z.string().nullish(),
});

/** A successful answer of the token endpoint */
export const tokenAnswerSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
  // the OAuth spec's name; Bitbucket said `scopes` until 2026
  scope: z.string().optional(),
  expires_in: z.number().optional(),
  token_type: z.string().optional(),
});

/** An OAuth error answer, `{error, error_description}` */
export const oauthErrorSchema = z.object({
  error: z.string().optional(),
  error_description: z.string().optional(),
});

/** A REST error answer, `{type: "error", error: {message, detail}}` */
export const apiErrorSchema = z.object({
  error: z.object({
    message: z.string().optional(),
    detail: z
      .union([
        z.string(),
        z.object({ required: z.array(z.string()).optional() }).passthrough(),
      ])
      .optional(),
  }),
});
