import { performance } from 'node:perf_hooks';
import { signInThroughBackstage } from './backstageSignIn';
import { startLoopbackServer } from './loopbackServer';

const popup = (message: object) =>
  `<html><script>var authResponse = decodeURIComponent('${encodeURIComponent(
    JSON.stringify(message),
  )}');</script></html>`;

describe('signInThroughBackstage', () => {
  it('times the callback alone: from after the start answer until the callback body is read', async () => {
    const seen = { startAnswered: NaN, callbackArrived: NaN, callbackEnded: 0 };
    const backend = await startLoopbackServer((req, res) => {
      if (req.url!.startsWith('/api/auth/bitbucket/start')) {
        res.writeHead(302, {
          location: 'http://bitbucket.invalid/authorize',
          'set-cookie': 'nonce=n1; Path=/',
        });
        res.end(() => {
          seen.startAnswered = performance.now();
        });
        return;
      }
      seen.callbackArrived = performance.now();
      // the answer is slow on purpose, in two parts, so the body's end counts
      res.writeHead(200, { 'content-type': 'text/html' });
      res.write(' ');
      setTimeout(() => {
        seen.callbackEnded = performance.now();
        res.end(popup({ response: { profile: {} } }));
      }, 30);
    });
    try {
      const outcome = await signInThroughBackstage({
        backendUrl: backend.url,
        consent: async () =>
          `http://127.0.0.1:7007/api/auth/bitbucket/handler/frame?code=c&state=s`,
      });
      const returned = performance.now();

      expect(outcome.status).toBe(200);
      // causal bounds, no thresholds: the request left after the start
      // answer, and its timing ended no earlier than the server's last write
      expect(outcome.callbackMs).toBeGreaterThanOrEqual(
        seen.callbackEnded - seen.callbackArrived,
      );
      expect(outcome.callbackMs).toBeLessThanOrEqual(
        returned - seen.startAnswered,
      );
    } finally {
      await backend.stop();
    }
  });
});
