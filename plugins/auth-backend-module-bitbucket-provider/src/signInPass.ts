import { AsyncLocalStorage } from 'node:async_hooks';
import { SignInOutcome } from './metrics';

/** What one callback or refresh request went through, wherever the framework lets this module see it */
export interface SignInPass {
  /** How many resolvers the environment chains, so the last miss is known */
  resolverCount: number;
  /** What each resolver that found nobody looked for */
  misses: string[];
  /** Set by the first failure */
  outcome?: SignInOutcome;
  authenticated?: boolean;
  /** The result came from the refresh reuse window */
  reused?: boolean;
}

export const signInPasses = new AsyncLocalStorage<SignInPass>();

/** Notes how the request ended, unless an earlier step already did */
export function noteOutcome(outcome: SignInOutcome) {
  const pass = signInPasses.getStore();
  if (pass && !pass.outcome) {
    pass.outcome = outcome;
  }
}

/** The refresh was answered with the result of a concurrent one */
export function markReused() {
  const pass = signInPasses.getStore();
  if (pass) {
    pass.reused = true;
  }
}

/** How the request ended, once the framework's handler has returned */
export function finalOutcome(pass: SignInPass): SignInOutcome {
  if (pass.outcome) {
    return pass.outcome;
  }
  if (pass.reused) {
    return 'reused';
  }
  // the framework refused it before Bitbucket was asked: state, nonce, env
  return pass.authenticated ? 'ok' : 'bad_request';
}
