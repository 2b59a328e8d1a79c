/**
 * The Backstage backend each bench process runs: the auth backend, the
 * catalog, and the one Bitbucket module `BENCH_MODULE` names (ours or
 * public). Everything else is alike, so the module is the difference.
 * Metrics are on in both, as an operator runs them: the OpenTelemetry SDK
 * with a Prometheus exporter (not scraped), so every instrument records.
 */
import { createBackend } from '@backstage/backend-defaults';
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { GC_MARKER } from './gcMarker';
import { routeBitbucketCloudToSimulator } from './routeToSimulator';

/**
 * `kill -USR2 <pid>`: a full GC (the process runs with --expose-gc), then a
 * numbered line on stdout with the heap, so the bench reads VmRSS after it.
 */
let gcs = 0;
process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.(); // a second pass collects what the first one's finalizers released
  setTimeout(() => {
    const { heapUsed } = process.memoryUsage();
    const report = { exposed: Boolean(gc), heapUsed };
    process.stdout.write(`${GC_MARKER} ${++gcs} ${JSON.stringify(report)}\n`);
  }, 250);
});

metrics.setGlobalMeterProvider(
  new MeterProvider({
    readers: [new PrometheusExporter({ preventServerStart: true })],
  }),
);
routeBitbucketCloudToSimulator(process.env.BENCH_SIMULATOR_URL!);
const backend = createBackend();
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(
  process.env.BENCH_MODULE === 'public'
    ? import('@backstage/plugin-auth-backend-module-bitbucket-provider')
    : import('@bitbucket-signin/plugin-auth-backend-module-bitbucket-provider'),
);
backend.add(import('@backstage/plugin-catalog-backend'));
backend.start();
