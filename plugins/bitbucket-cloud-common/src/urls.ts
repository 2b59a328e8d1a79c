import { Config } from '@backstage/config';

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

/**
 * `name` under a plugin's config, or Bitbucket Cloud's own URL of that name;
 * a value that is not an http(s) URL stops start-up naming `key.name`
 *
 * @public
 */
export function readBitbucketUrl(
  config: Config,
  key: string,
  name: keyof typeof BITBUCKET_CLOUD_URLS,
): string {
  const value = config.getOptionalString(name) ?? BITBUCKET_CLOUD_URLS[name];
  if (!/^https?:\/\//.test(value) || !URL.canParse(value)) {
    const got = JSON.stringify(value);
    throw new Error(`${key}.${name} must be an http(s) URL, got ${got}`);
  }
  return value;
}
