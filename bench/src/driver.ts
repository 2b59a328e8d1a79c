/**
 * One sign-in through the test kit's driver, the one the module and browser
 * tests use. It counts only with a Backstage token for the expected user.
 */
import type { BitbucketSimulator as Simulator } from '@bitbucket-signin/bitbucket-cloud-simulator';
import * as kit from '@bitbucket-signin/test-kit';
import type { BenchUser, Variant } from './variants';

export async function signIn(
  backendUrl: string,
  variant: Variant,
  simulator: Simulator,
  user: BenchUser,
): Promise<{ ok: true; callbackMs: number } | { ok: false; error: string }> {
  try {
    const outcome = await kit.signInThroughBackstage({
      backendUrl,
      env: variant.env,
      // the consent page, answered in process: only the query matters, so the
      // public module's https://bitbucket.org/... URL works as well
      consent: authorizeUrl => simulator.approve(authorizeUrl, user.username),
    });
    const token = outcome.response?.backstageIdentity?.token;
    if (!token) {
      const { name = '', message = '' } = outcome.error ?? {};
      throw new Error(
        `callback answered ${outcome.status}: ${name} ${message}`,
      );
    }
    const { sub } = kit.decodeBackstageToken(token);
    if (sub !== user.entityRef) {
      throw new Error(`${user.username} signed in as ${sub}`);
    }
    return { ok: true, callbackMs: outcome.callbackMs };
  } catch (error) {
    return { ok: false, error: String((error as Error)?.message ?? error) };
  }
}
