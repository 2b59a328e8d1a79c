import type { ClientRequest } from 'node:http';

/** Why a request was stopped: its deadline passed */
class DeadlineExceeded extends Error {
  name = 'TimeoutError';
}

/** Why a request was stopped: another request of the same step failed first */
class Cancelled extends Error {
  name = 'Cancelled';
}

/**
 * One time limit for the requests of one step of a sign-in (the code
 * exchange, or reading the identity). When it passes, or when one of the
 * requests fails, the ones still in flight are stopped.
 *
 * A plain timer and a list of requests: AbortController, AbortSignal.timeout()
 * and AbortSignal.any() cost every sign-in several signals, listeners and a
 * DOMException, on the thread that every sign-in waits for.
 */
export class Deadline {
  readonly ms: number;
  /** Finished ones stay: destroying a finished request does nothing */
  readonly #requests: ClientRequest[] = [];
  readonly #timer: NodeJS.Timeout;
  #stopped?: Error;

  constructor(ms: number) {
    this.ms = ms;
    this.#timer = setTimeout(() => this.#stop(new DeadlineExceeded()), ms);
  }

  /** True once the time limit has passed */
  get expired(): boolean {
    return this.#stopped instanceof DeadlineExceeded;
  }

  /** True once the requests were stopped, by the time limit or by cancel() */
  get stopped(): boolean {
    return this.#stopped !== undefined;
  }

  /** Puts a request under this deadline; one sent after it was stopped is stopped at once */
  track(request: ClientRequest): void {
    if (this.#stopped) {
      request.destroy(this.#stopped);
      return;
    }
    this.#requests.push(request);
  }

  /** Stops the requests still in flight, e.g. because a sibling request failed */
  cancel(): void {
    this.#stop(new Cancelled());
  }

  /** The step is over: no timer outlives it */
  clear(): void {
    clearTimeout(this.#timer);
  }

  #stop(reason: Error) {
    if (this.#stopped) {
      return;
    }
    this.#stopped = reason;
    clearTimeout(this.#timer);
    for (const request of this.#requests) {
      request.destroy(reason);
    }
  }
}
