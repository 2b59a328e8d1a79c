/**
 * The Backstage backend both benchmark processes run. `ourBackend.ts` and
 * `publicBackend.ts` differ only in the Bitbucket module they pass in; the
 * plugins, config, bench hooks and everything else are this one file.
 */
import { createBackend } from '@backstage/backend-defaults';
import type { BackendFeature } from '@backstage/backend-plugin-api';
import http from 'node:http';
import https from 'node:https';
import { GC_MARKER } from './protocol';

/** What `backend.add(import('...'))` takes */
type FeatureImport = Promise<{ default: BackendFeature }>;

/**
 * The public module hard-codes https://bitbucket.org/site/oauth2/* and
 * https://api.bitbucket.org/2.0/user (passport-bitbucket-oauth2 through
 * node-oauth, which calls `https.request`). Sends those requests to the
 * simulator over plain HTTP instead, as a DNS override would. Our module is
 * configured with the simulator's URLs and uses global fetch, so it never
 * passes here; the hook is installed in both processes all the same.
 */
function routeBitbucketCloudToSimulator(simulatorUrl: string | undefined) {
  if (!simulatorUrl) {
    return;
  }
  const target = new URL(simulatorUrl);
  const cloudHosts = new Set(['bitbucket.org', 'api.bitbucket.org']);
  const originalRequest = https.request;
  (https as { request: unknown }).request = function request(
    ...args: unknown[]
  ) {
    const [options] = args;
    if (
      options &&
      typeof options === 'object' &&
      !(options instanceof URL) &&
      cloudHosts.has(
        String(
          (options as http.RequestOptions).hostname ??
            (options as http.RequestOptions).host,
        ),
      )
    ) {
      // node-oauth's own options: {host, port: 443, path, method, headers[, agent]}
      const { agent: _httpsAgent, ...rest } = options as http.RequestOptions;
      return http.request(
        {
          ...rest,
          protocol: 'http:',
          host: target.hostname,
          hostname: target.hostname,
          port: Number(target.port),
        },
        ...(args.slice(1) as [(res: http.IncomingMessage) => void]),
      );
    }
    return (originalRequest as (...a: unknown[]) => http.ClientRequest).apply(
      https,
      args,
    );
  };
}

/**
 * `kill -USR2 <pid>`: full GC (the process runs with --expose-gc), then a
 * line on stdout once it is done, so the bench reads VmRSS afterwards.
 */
function gcOnSignal() {
  process.on('SIGUSR2', () => {
    const receivedUs = Number(process.hrtime.bigint() / 1000n);
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.(); // a second pass collects what the first one's finalizers released
    setTimeout(() => {
      const { rss, heapUsed, heapTotal, external, arrayBuffers } =
        process.memoryUsage();
      process.stdout.write(
        `${GC_MARKER}${JSON.stringify({
          exposed: Boolean(gc),
          // same clock as --cpu-prof timestamps (µs), to cut a profile to a phase
          receivedUs,
          doneUs: Number(process.hrtime.bigint() / 1000n),
          rss,
          heapUsed,
          heapTotal,
          external,
          arrayBuffers,
        })}\n`,
      );
    }, 250);
  });
}

export function startBenchBackend(bitbucketModule: FeatureImport) {
  routeBitbucketCloudToSimulator(process.env.BENCH_SIMULATOR_URL);
  gcOnSignal();

  const backend = createBackend();
  backend.add(import('@backstage/plugin-auth-backend'));
  backend.add(bitbucketModule);
  backend.add(import('@backstage/plugin-catalog-backend'));
  backend.start();
}
