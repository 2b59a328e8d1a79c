/** What Bitbucket answered to one request */
export interface BitbucketAnswer {
  status: number;
  /** The Retry-After header, sent with a 429 */
  retryAfter?: string;
  text: string;
}

/** Why a request was stopped: its answer was larger than Bitbucket ever sends */
export class AnswerTooLarge extends Error {
  name = 'AnswerTooLarge';

  constructor(maxBytes: number) {
    super(
      `answered with more than ${maxBytes} bytes, far more than Bitbucket Cloud sends; the answer was not read`,
    );
  }
}

/**
 * Sends one request with global `fetch` (so a proxy set up for Node's fetch,
 * as Backstage documents, applies) and reads the answer, whatever its status,
 * up to `maxAnswerBytes`: a broken or hostile host could otherwise fill the
 * backend's memory with one endless body. `signal` ends the request, also
 * halfway through the answer.
 */
export async function requestBitbucket(
  url: string,
  init: {
    method: 'GET' | 'POST';
    headers: Record<string, string>;
    body?: string;
  },
  options: { signal: AbortSignal; maxAnswerBytes: number },
): Promise<BitbucketAnswer> {
  const { signal, maxAnswerBytes } = options;
  const response = await fetch(url, { ...init, signal, redirect: 'manual' });
  if (Number(response.headers.get('content-length')) > maxAnswerBytes) {
    await response.body?.cancel();
    throw new AnswerTooLarge(maxAnswerBytes);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength;
    if (size > maxAnswerBytes) {
      // leaving the loop cancels the body and closes the connection
      throw new AnswerTooLarge(maxAnswerBytes);
    }
    chunks.push(chunk);
  }
  return {
    status: response.status,
    retryAfter:
      response.status === 429
        ? response.headers.get('retry-after') ?? undefined
        : undefined,
    text: Buffer.concat(chunks, size).toString('utf8'),
  };
}

/**
 * One time limit for the requests of one step of a sign-in (the code
 * exchange, or reading the identity), and a way to stop the others when one
 * of them fails.
 */
export function stepSignal(timeoutMs: number): {
  signal: AbortSignal;
  cancel(): void;
} {
  const cancelled = new AbortController();
  return {
    signal: AbortSignal.any([cancelled.signal, AbortSignal.timeout(timeoutMs)]),
    cancel: () => cancelled.abort(),
  };
}

/** True once the step's time limit has passed */
export function timedOut(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason?.name === 'TimeoutError';
}

/**
 * Why a request got no answer, worded for the admin: its size, the deadline,
 * or the connection's error code (e.g. `ECONNREFUSED`), never a URL or a
 * header.
 */
export function failureReason(
  error: unknown,
  signal: AbortSignal,
  timeoutMs: number,
): string {
  if (error instanceof AnswerTooLarge) {
    return error.message;
  }
  if (timedOut(signal)) {
    return `did not answer within ${timeoutMs} ms (auth.providers.bitbucket.<environment>.timeout)`;
  }
  // fetch fails with "fetch failed" and the connection's error as its cause
  const { code, message } = ((error as { cause?: unknown })?.cause ??
    error ??
    {}) as { code?: string; message?: string };
  return `could not be reached (${code || message || 'unknown error'})`;
}
