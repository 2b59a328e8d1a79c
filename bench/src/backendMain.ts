/**
 * The Backstage backend both benchmark processes run. `ourBackend.ts` and
 * `publicBackend.ts` differ only in the Bitbucket module they pass in; the
 * plugins, config, bench hooks and everything else are this one file.
 */
import { createBackend } from '@backstage/backend-defaults';
import type { BackendFeature } from '@backstage/backend-plugin-api';
import { GC_MARKER } from './protocol';
import { routeBitbucketCloudToSimulator } from './routeToSimulator';

/** What `backend.add(import('...'))` takes */
type FeatureImport = Promise<{ default: BackendFeature }>;

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
  if (process.env.BENCH_SIMULATOR_URL) {
    routeBitbucketCloudToSimulator(process.env.BENCH_SIMULATOR_URL);
  }
  gcOnSignal();

  const backend = createBackend();
  backend.add(import('@backstage/plugin-auth-backend'));
  backend.add(bitbucketModule);
  backend.add(import('@backstage/plugin-catalog-backend'));
  backend.start();
}
