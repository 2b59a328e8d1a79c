import { bitbucketAnsweredUnexpectedly, bitbucketUnavailable } from './errors';
import { AnswerTooLarge } from './readJson';

/** fetch's own word for a connection that failed or was cut */
export function isFetchFailure(error: unknown): boolean {
  return error instanceof TypeError && error.message === 'fetch failed';
}

/**
 * What a failed request tells the admin: a passed deadline names the config
 * key that sets it, an oversized answer says so, a network failure names its
 * code. An error already worded, or the reason a caller aborted with, passes.
 */
export function requestFailure(
  request: string,
  error: unknown,
  signal: AbortSignal,
  deadlineConfigKey: string,
): Error {
  if (signal.aborted) {
    return (signal.reason as Error)?.name === 'TimeoutError'
      ? bitbucketUnavailable(
          request,
          `did not answer within ${deadlineConfigKey}`,
        )
      : (signal.reason as Error);
  }
  if (error instanceof AnswerTooLarge) {
    return bitbucketAnsweredUnexpectedly(request, error.message);
  }
  if (isFetchFailure(error)) {
    const code = (error as { cause?: { code?: unknown } }).cause?.code;
    return bitbucketUnavailable(
      request,
      `could not be reached (${
        typeof code === 'string' ? code : 'fetch failed'
      })`,
    );
  }
  return error as Error;
}
