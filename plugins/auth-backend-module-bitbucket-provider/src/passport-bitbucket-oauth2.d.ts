// passport-bitbucket-oauth2 ships no types; this covers what authenticator.ts uses.
declare module 'passport-bitbucket-oauth2' {
  export class Strategy {
    constructor(
      options: {
        clientID: string;
        clientSecret: string;
        callbackURL: string;
        authorizationURL: string;
        tokenURL: string;
      },
      verify: () => void,
    );
    name: string;
    authenticate(req: unknown, options?: Record<string, unknown>): void;
  }
}
