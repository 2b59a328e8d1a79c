/** The body grew past its cap; a second try would be just as large */
export class AnswerTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`answered with more than ${maxBytes} bytes`);
  }
}

/**
 * The body as JSON, refusing more than `maxBytes` as they arrive (fetch has
 * already decompressed them, so a small compressed bomb is refused too).
 * Aborting `signal` ends the read even while a slow server drips bytes.
 * Returns `undefined` for a body that is not JSON.
 */
export async function readJson(
  res: Response,
  maxBytes: number,
  signal: AbortSignal,
): Promise<{ json: unknown; bytes: number }> {
  if (Number(res.headers.get('content-length')) > maxBytes) {
    await res.body?.cancel();
    throw new AnswerTooLarge(maxBytes);
  }
  const reader = res.body?.getReader();
  if (!reader) {
    return { json: undefined, bytes: 0 };
  }
  const stop = () => reader.cancel(signal.reason).catch(() => {});
  signal.addEventListener('abort', stop, { once: true });
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    for (;;) {
      signal.throwIfAborted();
      const { done, value } = await reader.read();
      signal.throwIfAborted();
      if (done) {
        break;
      }
      bytes += value.byteLength;
      if (bytes > maxBytes) {
        await reader.cancel();
        throw new AnswerTooLarge(maxBytes);
      }
      chunks.push(value);
    }
  } finally {
    signal.removeEventListener('abort', stop);
  }
  try {
    return { json: JSON.parse(Buffer.concat(chunks).toString('utf8')), bytes };
  } catch {
    return { json: undefined, bytes };
  }
}
