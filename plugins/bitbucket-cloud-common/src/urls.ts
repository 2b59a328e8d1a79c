/**
 * Where Bitbucket Cloud lives. Every plugin lets tests and the local
 * simulator override them, so no test needs the internet.
 *
 * @public
 */
export const BITBUCKET_CLOUD_URLS = {
  authorizationUrl: 'https://bitbucket.org/site/oauth2/authorize',
  tokenUrl: 'https://bitbucket.org/site/oauth2/access_token',
  apiBaseUrl: 'https://api.bitbucket.org/2.0',
} as const;
