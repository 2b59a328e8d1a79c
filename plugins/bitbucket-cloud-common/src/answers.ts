import { z } from 'zod/v3';

/**
 * The shapes of Bitbucket Cloud's answers this project reads. Only the fields
 * used are declared; unknown fields are dropped, so a bloated answer costs no
 * memory after it is parsed.
 */

const link = z.object({ href: z.string() }).partial();

/** A user as `/2.0/user` and member lists show it @public */
export const bitbucketUserSchema = z.object({
  uuid: z.string().min(1),
  account_id: z.string().optional(),
  username: z.string().optional(),
  nickname: z.string().optional(),
  display_name: z.string().optional(),
  links: z.object({ avatar: link.optional() }).partial().optional(),
});

/** A user as Bitbucket describes one @public */
export type BitbucketUser = z.infer<typeof bitbucketUserSchema>;

/** One row of `/2.0/user/emails` @public */
export const bitbucketEmailSchema = z.object({
  email: z.string(),
  is_primary: z.boolean().optional(),
  is_confirmed: z.boolean().optional(),
});

/** One of a user's email addresses; only confirmed ones prove anything @public */
export type BitbucketEmail = z.infer<typeof bitbucketEmailSchema>;

/** `{uuid, slug, name}` of a workspace, as answers embed it @public */
export const bitbucketWorkspaceSchema = z.object({
  uuid: z.string().optional(),
  slug: z.string().min(1),
  name: z.string().optional(),
});

/** Since 2026 a workspace role is `owner` or `member` (collaborator is gone) @public */
export const bitbucketWorkspacePermissionSchema = z.object({
  permission: z.enum(['owner', 'member']),
  workspace: bitbucketWorkspaceSchema,
});

/** The caller's role in one workspace @public */
export type BitbucketWorkspacePermission = z.infer<
  typeof bitbucketWorkspacePermissionSchema
>;

/** One row of `/2.0/workspaces/{workspace}/members` @public */
export const bitbucketWorkspaceMemberSchema = z.object({
  user: bitbucketUserSchema,
});

/** One row of `/2.0/workspaces/{workspace}/permissions` @public */
export const bitbucketWorkspaceMemberPermissionSchema = z.object({
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
