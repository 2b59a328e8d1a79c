import type { MetricsService } from '@backstage/backend-plugin-api/alpha';

export type OrgRunMetrics = ReturnType<typeof orgRunMetrics>;

/**
 * The org provider's runs: outcome, members read, entities applied,
 * duration, and when each provider last succeeded, so a stale sync can be
 * alerted on. Attributes name the provider id, never a member.
 */
export function orgRunMetrics(metrics: MetricsService) {
  const name = (what: string) => `catalog.bitbucket_cloud_org.${what}`;
  const runs = metrics.createCounter(name('runs'), {
    description: 'Runs of the Bitbucket Cloud org provider, by outcome',
  });
  const membersRead = metrics.createCounter(name('members_read'), {
    description: 'Workspace members read by successful runs',
  });
  const entitiesApplied = metrics.createCounter(name('entities_applied'), {
    description: 'Users and Groups applied by successful runs',
  });
  const duration = metrics.createHistogram(name('run.duration'), {
    description: 'Duration of org provider runs',
    unit: 's',
    advice: { explicitBucketBoundaries: [1, 5, 15, 30, 60, 120, 300] },
  });
  const lastSuccess = new Map<string, number>();
  metrics
    .createObservableGauge(name('last_success'), {
      description: 'Unix time of the last successful run',
      unit: 's',
    })
    .addCallback(result => {
      for (const [provider, seconds] of lastSuccess) {
        result.observe(seconds, { provider });
      }
    });

  return {
    /** A run that applied its entities */
    succeeded(
      provider: string,
      run: { seconds: number; members: number; entities: number },
    ) {
      runs.add(1, { provider, outcome: 'ok' });
      duration.record(run.seconds, { provider, outcome: 'ok' });
      membersRead.add(run.members, { provider });
      entitiesApplied.add(run.entities, { provider });
      lastSuccess.set(provider, Math.floor(Date.now() / 1000));
    },
    /** A run that applied nothing: `limit` names the limit it passed, if it did */
    failed(provider: string, seconds: number, limit?: string) {
      const outcome = limit ? 'limit_reached' : 'failed';
      runs.add(1, { provider, outcome, ...(limit && { limit }) });
      duration.record(seconds, { provider, outcome });
    },
  };
}
