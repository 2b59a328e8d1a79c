import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

/*
 * Metrics for Prometheus, when PROMETHEUS_METRICS_PORT is set: the
 * OpenTelemetry SDK with its Prometheus exporter, which serves
 * http://<PROMETHEUS_METRICS_HOST, default 127.0.0.1>:<port>/metrics.
 * Imported before anything else, so the meter provider is in place when the
 * plugins take their meters from Backstage's metrics service.
 */
const port = Number(process.env.PROMETHEUS_METRICS_PORT);
if (port) {
  metrics.setGlobalMeterProvider(
    new MeterProvider({
      readers: [
        new PrometheusExporter({
          port,
          host: process.env.PROMETHEUS_METRICS_HOST ?? '127.0.0.1',
        }),
      ],
    }),
  );
}
