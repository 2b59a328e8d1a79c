import http from 'node:http';
import https from 'node:https';
import { Deadline } from './deadline';

/** What Bitbucket answered to one request */
export interface BitbucketAnswer {
  status: number;
  /** The Retry-After header, sent with a 429 */
  retryAfter?: string;
  /** The body as JSON; undefined when it is not JSON */
  body: unknown;
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
 * Requests to one Bitbucket host (bitbucket.org for tokens, api.bitbucket.org
 * for the REST API), with the host's request options parsed once.
 *
 * Plain node:http on Node's global agent, which keeps connections alive and
 * is the one a corporate proxy setup configures (NODE_USE_ENV_PROXY,
 * global-agent). Not global fetch: it builds WHATWG Request, Response,
 * Headers and a web stream per call, on the thread every sign-in waits for,
 * and every sign-in makes three calls. Measured on Node 22 (bench/README.md,
 * 2026-12-04): with fetch and AbortSignal.any, the module alone cost 3.1
 * times the public module's CPU per callback instead of 1.2, and sign-ins
 * per second at 50 concurrent fell to 0.87 (0.74-0.98) of the public
 * module's. node:http does not follow redirects either.
 */
export class BitbucketConnection {
  readonly #library: typeof http | typeof https;
  readonly #target: http.RequestOptions;
  readonly #maxAnswerBytes: number;

  /**
   * `maxAnswerBytes` caps every answer: a broken or hostile host could
   * otherwise fill the backend's memory with one endless body.
   */
  constructor(url: string, options: { maxAnswerBytes: number }) {
    this.#maxAnswerBytes = options.maxAnswerBytes;
    const { protocol, hostname, port } = new URL(url);
    const secure = protocol === 'https:';
    this.#library = secure ? https : http;
    this.#target = {
      protocol,
      // an IPv6 literal comes bracketed from URL and must not be for node:http
      hostname: hostname.replace(/^\[(.*)\]$/, '$1'),
      port: port || (secure ? 443 : 80),
    };
  }

  /**
   * Sends one request and reads the whole answer as JSON, whatever its status. Fails
   * when the connection fails or the deadline stops the request.
   */
  send(
    request: {
      method: 'GET' | 'POST';
      /** Path and query, e.g. `/2.0/user/emails?pagelen=100` */
      path: string;
      headers: http.OutgoingHttpHeaders;
      body?: string;
    },
    deadline: Deadline,
  ): Promise<BitbucketAnswer> {
    return new Promise((resolve, reject) => {
      const outgoing = this.#library.request(
        {
          ...this.#target,
          method: request.method,
          path: request.path,
          headers: request.headers,
        },
        response => {
          const max = this.#maxAnswerBytes;
          const refuse = () => {
            reject(new AnswerTooLarge(max));
            outgoing.destroy();
          };
          if (Number(response.headers['content-length']) > max) {
            refuse();
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > max) {
              refuse();
              return;
            }
            chunks.push(chunk);
          });
          // also when the connection drops or the deadline stops it mid-answer
          response.on('error', reject);
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            resolve({
              status,
              // node:http builds the headers object on first access
              retryAfter:
                status === 429 ? response.headers['retry-after'] : undefined,
              body: parseJson(Buffer.concat(chunks, size).toString('utf8')),
            });
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(request.body);
      deadline.track(outgoing);
    });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Why a request got no answer, worded for the admin: the deadline, or the
 * connection's error code (e.g. `ECONNREFUSED`), never a URL or a header.
 */
export function failureReason(error: unknown, deadline: Deadline): string {
  if (error instanceof AnswerTooLarge) {
    return error.message;
  }
  if (deadline.expired) {
    return `did not answer within ${deadline.ms} ms (auth.providers.bitbucket.<environment>.timeout)`;
  }
  const { code, message } = (error ?? {}) as {
    code?: string;
    message?: string;
  };
  return `could not be reached (${code || message || 'unknown error'})`;
}
