import {
  IncomingMessage,
  OutgoingHttpHeaders,
  ServerResponse,
} from 'node:http';

const MAX_BODY_BYTES = 1024 * 1024;

/** Thrown by {@link readBody} when the body is larger than the simulator accepts */
export class BodyTooLargeError extends Error {}

/** Sends a JSON body with the content type Bitbucket uses */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Sends an HTML page */
export function sendHtml(
  res: ServerResponse,
  status: number,
  html: string,
): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
  });
  res.end(html);
}

/** Sends a 302 to `location` */
export function sendRedirect(res: ServerResponse, location: string): void {
  res.writeHead(302, {
    location,
    'content-length': 0,
    'cache-control': 'no-store',
  });
  res.end();
}

/** Sends an empty 204 */
export function sendNoContent(res: ServerResponse): void {
  res.writeHead(204);
  res.end();
}

/** Bitbucket's REST API error body: `{"type":"error","error":{"message","detail"?}}` */
export function apiErrorBody(message: string, detail?: unknown) {
  return {
    type: 'error',
    error: detail === undefined ? { message } : { message, detail },
  };
}

/** Reads a request body as UTF-8 text, up to 1 MiB */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLargeError('Request body too large'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Parses `a=1&b=2` into an object; for a repeated name the last value wins */
export function parseQuery(text: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(text));
}

/** Appends parameters to a URL, with `&` when it already has a query */
export function appendQuery(url: string, params: Record<string, string>) {
  const query = new URLSearchParams(params).toString();
  if (!query) {
    return url;
  }
  return `${url}${url.includes('?') ? '&' : '?'}${query}`;
}

/** Escapes text for HTML element content and attribute values */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
