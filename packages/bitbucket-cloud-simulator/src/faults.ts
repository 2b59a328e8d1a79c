import { IncomingMessage, ServerResponse, STATUS_CODES } from 'node:http';
import { apiErrorBody, sendJson } from './http';
import { Fault } from './types';

/** The token endpoint's pathname */
export const TOKEN_PATH = '/site/oauth2/access_token';

/** Latency and faults apply to the token endpoint and the REST API only */
export function isFaultablePath(pathname: string): boolean {
  return (
    pathname === TOKEN_PATH ||
    pathname === '/2.0' ||
    pathname.startsWith('/2.0/')
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min;
}

/** Checks a fault (from code or from the control endpoint); throws a TypeError saying what is wrong */
export function validateFault(input: unknown): Fault {
  if (!isObject(input)) {
    throw new TypeError('A fault must be a JSON object');
  }
  const { path, kind, times, after } = input;
  if (typeof path !== 'string' || !isFaultablePath(path)) {
    throw new TypeError(
      `Fault path must be ${TOKEN_PATH} or a /2.0/* pathname without query, got ${JSON.stringify(
        path,
      )}`,
    );
  }
  if (times !== undefined && !isCount(times, 1)) {
    throw new TypeError('Fault times must be a positive integer');
  }
  if (after !== undefined && !isCount(after, 0)) {
    throw new TypeError('Fault after must be a non-negative integer');
  }
  if (kind === 'status') {
    const { status, retryAfterSeconds } = input;
    if (!isCount(status, 400) || status > 599) {
      throw new TypeError('Fault status must be an integer from 400 to 599');
    }
    if (retryAfterSeconds !== undefined && !isCount(retryAfterSeconds, 0)) {
      throw new TypeError(
        'Fault retryAfterSeconds must be a non-negative integer',
      );
    }
    return { path, kind, status, retryAfterSeconds, times, after };
  }
  if (kind === 'malformed' || kind === 'hang' || kind === 'reset') {
    return { path, kind, times, after };
  }
  throw new TypeError(
    'Fault kind must be one of "status", "malformed", "hang", "reset"',
  );
}

/** Checks a latency in milliseconds */
export function validateLatency(ms: unknown): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new TypeError(
      'Latency must be a non-negative number of milliseconds',
    );
  }
  return ms;
}

/** The current latency and the pending faults, in the order they were added */
export class FaultInjector {
  readonly #initialLatencyMs: number;
  #latencyMs: number;
  #faults: Array<{ fault: Fault; remaining: number; passes: number }> = [];

  constructor(latencyMs: number) {
    this.#initialLatencyMs = validateLatency(latencyMs);
    this.#latencyMs = this.#initialLatencyMs;
  }

  get latencyMs(): number {
    return this.#latencyMs;
  }

  setLatency(ms: number): void {
    this.#latencyMs = validateLatency(ms);
  }

  add(fault: Fault): void {
    const valid = validateFault(fault);
    this.#faults.push({
      fault: valid,
      remaining: valid.times ?? Infinity,
      passes: valid.after ?? 0,
    });
  }

  clear(): void {
    this.#faults = [];
  }

  /** Clears the faults and restores the latency the simulator started with */
  reset(): void {
    this.clear();
    this.#latencyMs = this.#initialLatencyMs;
  }

  /** The fault for a request to this path, if any, counting it against `times` */
  take(pathname: string): Fault | undefined {
    if (this.#faults.length === 0) {
      return undefined;
    }
    const index = this.#faults.findIndex(f => f.fault.path === pathname);
    if (index < 0) {
      return undefined;
    }
    const entry = this.#faults[index];
    if (entry.passes > 0) {
      entry.passes -= 1;
      return undefined;
    }
    entry.remaining -= 1;
    if (entry.remaining <= 0) {
      this.#faults.splice(index, 1);
    }
    return entry.fault;
  }
}

const TOKEN_ERROR_CODES: Record<number, string> = {
  400: 'invalid_request',
  401: 'invalid_client',
  403: 'access_denied',
  429: 'temporarily_unavailable',
  503: 'temporarily_unavailable',
};

function faultMessage(status: number): string {
  if (status === 429) {
    return 'Rate limit for this resource has been exceeded';
  }
  return STATUS_CODES[status] ?? 'Something went wrong';
}

/**
 * Answers a request the way the fault says. `hang` leaves the request open:
 * the simulator's stop() destroys its socket.
 */
export function performFault(
  fault: Fault,
  pathname: string,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  switch (fault.kind) {
    case 'status': {
      req.resume();
      const headers: Record<string, string> = {};
      const retryAfter =
        fault.retryAfterSeconds ?? (fault.status === 429 ? 1 : undefined);
      if (retryAfter !== undefined) {
        headers['retry-after'] = String(retryAfter);
      }
      const message = faultMessage(fault.status);
      const body =
        pathname === TOKEN_PATH
          ? {
              error: TOKEN_ERROR_CODES[fault.status] ?? 'server_error',
              error_description: message,
            }
          : apiErrorBody(message);
      sendJson(res, fault.status, body, headers);
      return;
    }
    case 'malformed': {
      req.resume();
      const text =
        pathname === TOKEN_PATH
          ? '{"access_token": "'
          : '{"type": "user", "uuid": "{';
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
      return;
    }
    case 'hang':
      // Read the request so it counts as received, then never answer
      req.resume();
      return;
    case 'reset':
      req.socket.resetAndDestroy();
      return;
    default:
      // exhaustive: validateFault lets no other kind through
      return;
  }
}
