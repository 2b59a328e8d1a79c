import { SignInOutcome } from './metrics';

/** What one callback or refresh request went through, wherever the framework lets this module see it */
export class SignInPass {
  /** What each resolver that found nobody looked for */
  readonly misses: string[] = [];
  #firstFailure?: SignInOutcome;
  #authenticated = false;
  #reused = false;

  /** `resolverCount`: how many resolvers the environment chains, so the last miss is known */
  constructor(readonly resolverCount: number) {}

  /** Notes why the request failed, unless an earlier step already did */
  noteFailure(outcome: SignInOutcome) {
    this.#firstFailure ??= outcome;
  }

  /** Bitbucket answered the code or the refresh token */
  noteAuthenticated() {
    this.#authenticated = true;
  }

  /** The refresh was answered with the result of a concurrent one */
  noteReused() {
    this.#reused = true;
  }

  /** How the request ended, once the framework's handler has returned */
  get outcome(): SignInOutcome {
    if (this.#firstFailure) {
      return this.#firstFailure;
    }
    if (this.#reused) {
      return 'reused';
    }
    // the framework refused it before Bitbucket was asked: state, nonce, env
    return this.#authenticated ? 'ok' : 'bad_request';
  }
}

/**
 * The pass of each request, and of the result its authenticator produced,
 * which is all a resolver sees. Weakly held: a pass lives as long as its
 * request. (An AsyncLocalStorage would turn on promise hooks for the whole
 * backend, which costs every promise of every plugin.)
 */
const passes = new WeakMap<object, SignInPass>();

export function passOf(key: object): SignInPass | undefined {
  return passes.get(key);
}

export function linkPass(key: object, pass: SignInPass | undefined) {
  if (pass) {
    passes.set(key, pass);
  }
}

/** Refresh results handed over from the reuse window rather than fetched */
export const reusedResults = new WeakSet<object>();
