import { AsyncLocalStorage } from 'node:async_hooks';
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

/** The pass of the request being handled */
export const signInPasses = new AsyncLocalStorage<SignInPass>();
