/**
 * Runs one step of a sign-in or refresh under `timeoutMs`, aborting with a
 * TimeoutError as `AbortSignal.timeout` would. Its timer is cleared when the
 * step ends: a timeout signal that fetch left listeners on stays reachable
 * until its timer fires, and with it everything those requests held, so
 * finished sign-ins would pile up for the whole timeout.
 */
export async function withDeadline<T>(
  timeoutMs: number,
  step: (controller: AbortController) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(
    () =>
      controller.abort(new DOMException('The deadline passed', 'TimeoutError')),
    timeoutMs,
  );
  try {
    return await step(controller);
  } finally {
    clearTimeout(timer);
  }
}
