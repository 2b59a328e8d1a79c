import { bitbucketAnsweredUnexpectedly, bitbucketUnavailable } from './errors';
import { AnswerTooLarge } from './readJson';

/**
 * fetch's own words for a connection that failed, or was cut while the body
 * was read (checked by name: the error may come from another realm)
 */
export function isFetchFailure(error: unknown): boolean {
  const { name, message } = (error ?? {}) as Partial<Error>;
  return (
    name === 'TypeError' &&
    (message === 'fetch failed' || message === 'terminated')
  );
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

/** 429 and 5xx: Bitbucket is rate limiting or having a bad day */
export function transientFailure(
  request: string,
  status: number,
  headers: Headers,
): Error {
  return bitbucketUnavailable(
    request,
    status === 429
      ? `is rate limited (HTTP 429, retry after ${
          headers.get('retry-after')?.slice(0, 32) ?? 'an unstated time'
        })`
      : `answered HTTP ${status}`,
  );
}
