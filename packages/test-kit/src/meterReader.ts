import { Attributes, metrics } from '@opentelemetry/api';
import {
  DataPointType,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';

/** A reader that collects when asked, as a Prometheus scrape would */
class OnDemandReader extends MetricReader {
  protected async onForceFlush() {}
  protected async onShutdown() {}
}

/** One data point: a counter's or gauge's value, or a histogram's count */
export interface MetricPoint {
  attributes: Attributes;
  value: number;
}

/**
 * The OpenTelemetry SDK, as an adopter sets it up, with a reader the test
 * collects from. Install it before the backend starts: meters are taken then.
 */
export function installTestMeterProvider() {
  const reader = new OnDemandReader();
  const provider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(provider);
  return {
    /** Every point of the metric `name` now, over all meters */
    async points(name: string): Promise<MetricPoint[]> {
      const { resourceMetrics } = await reader.collect();
      return resourceMetrics.scopeMetrics
        .flatMap(scope => scope.metrics)
        .filter(metric => metric.descriptor.name === name)
        .flatMap(metric =>
          metric.dataPoints.map(point => ({
            attributes: point.attributes,
            value:
              metric.dataPointType === DataPointType.HISTOGRAM
                ? (point.value as { count: number }).count
                : (point.value as number),
          })),
        );
    },
    async uninstall() {
      await provider.shutdown();
      metrics.disable();
    },
  };
}
