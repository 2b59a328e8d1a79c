// passport-bitbucket-oauth2 ships no types; this covers what authenticator.ts uses.
declare module 'passport-bitbucket-oauth2' {
  export interface StrategyOptions {
    clientID: string;
    clientSecret: string;
    callbackURL: string;
    authorizationURL?: string;
    tokenURL?: string;
  }

  export type VerifyCallback = (
    accessToken: string,
    refreshToken: string | undefined,
    params: Record<string, unknown>,
    profile: unknown,
    done: (
      error: Error | null | undefined,
      user?: unknown,
      info?: unknown,
    ) => void,
  ) => void;

  export class Strategy {
    constructor(options: StrategyOptions, verify: VerifyCallback);
    name: string;
    authenticate(req: unknown, options?: Record<string, unknown>): void;
  }
}
