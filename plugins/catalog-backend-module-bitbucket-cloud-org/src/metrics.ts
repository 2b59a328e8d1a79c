import type { MetricsService } from '@backstage/backend-plugin-api/alpha';

/**
 * The org provider's runs: outcome, members read, entities applied,
 * duration, and when each provider last succeeded, so a stale sync can be
 * alerted on. Attributes name the provider id, never a member.
 */
export class OrgRunMetrics {
  readonly #runs;
  readonly #members;
  readonly #entities;
  readonly #duration;
  readonly #lastSuccess = new Map<string, number>();

  constructor(metrics: MetricsService) {
    const name = (what: string) => `catalog.bitbucket_cloud_org.${what}`;
    this.#runs = metrics.createCounter(name('runs'), {
      description: 'Runs of the Bitbucket Cloud org provider, by outcome',
    });
    this.#members = metrics.createCounter(name('members_read'), {
      description: 'Workspace members read by successful runs',
    });
    this.#entities = metrics.createCounter(name('entities_applied'), {
      description: 'Users and Groups applied by successful runs',
    });
    this.#duration = metrics.createHistogram(name('run.duration'), {
      description: 'Duration of org provider runs',
      unit: 's',
      advice: { explicitBucketBoundaries: [1, 5, 15, 30, 60, 120, 300] },
    });
    metrics
      .createObservableGauge(name('last_success'), {
        description: 'Unix time of the last successful run',
        unit: 's',
      })
      .addCallback(result => {
        for (const [provider, seconds] of this.#lastSuccess) {
          result.observe(seconds, { provider });
        }
      });
  }

  /** A run that applied its entities */
  succeeded(
    provider: string,
    run: { seconds: number; members: number; entities: number },
  ) {
    this.#runs.add(1, { provider, outcome: 'ok' });
    this.#duration.record(run.seconds, { provider, outcome: 'ok' });
    this.#members.add(run.members, { provider });
    this.#entities.add(run.entities, { provider });
    this.#lastSuccess.set(provider, Math.floor(Date.now() / 1000));
  }

  /** A run that applied nothing: `limit` names the limit it passed, if it did */
  failed(provider: string, seconds: number, limit?: string) {
    const outcome = limit ? 'limit_reached' : 'failed';
    this.#runs.add(1, { provider, outcome, ...(limit && { limit }) });
    this.#duration.record(seconds, { provider, outcome });
  }
}
