import { BitbucketSimulator } from '@bitbucket-signin/bitbucket-cloud-simulator';
import {
  BackstageSignInOutcome,
  signInThroughBackstage,
} from '@bitbucket-signin/test-kit';

/**
 * A sign-in as a load balancer without sticky sessions may route it: `start`
 * on one replica, Bitbucket's redirect back (`handler/frame`) on another.
 */
export async function signInAcrossReplicas(options: {
  startOn: string;
  callbackOn: string;
  username: string;
  simulator: BitbucketSimulator;
  appOrigin: string;
  env: string;
}): Promise<BackstageSignInOutcome> {
  const { startOn, callbackOn, username, simulator, appOrigin, env } = options;
  return signInThroughBackstage({
    backendUrl: startOn,
    callbackBackendUrl: callbackOn,
    appOrigin,
    env,
    consent: url => simulator.approve(url, username),
  });
}
