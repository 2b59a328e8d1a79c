import {
  coreServices,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import type { MetricsService } from '@backstage/backend-plugin-api/alpha';
import { metrics } from '@opentelemetry/api';
import { BitbucketRequestOutcome } from './BitbucketCloudClient';

/**
 * Backstage's metrics service (`metricsServiceRef` of
 * `@backstage/backend-plugin-api/alpha`, which `createBackend` registers),
 * asked for by its id. A backend that registers no metrics service gets the
 * plugin's meter straight from the OpenTelemetry API instead, as that service
 * would: either way nothing is emitted until the adopter sets up an
 * OpenTelemetry SDK.
 *
 * @public
 */
export const bitbucketMetricsServiceRef = createServiceRef<MetricsService>({
  id: 'alpha.core.metrics',
  scope: 'plugin',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: { pluginMetadata: coreServices.pluginMetadata },
      factory: ({ pluginMetadata }) =>
        metrics.getMeter(`backstage-plugin-${pluginMetadata.getId()}`),
    }),
});

/**
 * Records each Bitbucket request's duration in the histogram
 * `bitbucket.request.duration` (seconds), by endpoint template and status
 * class: never a raw URL, a user or a token.
 *
 * @public
 */
export function recordBitbucketRequests(
  metricsService: MetricsService,
): (outcome: BitbucketRequestOutcome) => void {
  const duration = metricsService.createHistogram<{
    endpoint: string;
    status_class: string;
  }>('bitbucket.request.duration', {
    description: 'Duration of requests to Bitbucket Cloud',
    unit: 's',
    // seconds, around the default deadline of 10 s
    advice: {
      explicitBucketBoundaries: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    },
  });
  return ({ endpoint, status, durationSeconds }) =>
    duration.record(durationSeconds, {
      endpoint,
      status_class:
        status === undefined ? 'no_answer' : `${Math.floor(status / 100)}xx`,
    });
}
