import { SchedulerServiceTaskScheduleDefinition } from '@backstage/backend-plugin-api';
import { Config, readDurationFromConfig } from '@backstage/config';
import { isError } from '@backstage/errors';
import { durationToMilliseconds, HumanDuration } from '@backstage/types';
import { BitbucketLimitReachedError } from '@bitbucket-signin/plugin-bitbucket-cloud-common';
import { ListRun } from './BitbucketOrgClient';

/** What one run may cost, whatever answers: no list takes the memory, no slow drip outlives the run */
export interface RunLimits {
  /** Rows of all members lists together; each permissions list has as many left */
  maxMembers: number;
  /** Answer bytes of all lists together, decompressed */
  maxBytes: number;
  /** The whole run, body reads included */
  runTimeoutMs: number;
}

/** Ten times the largest workspaces we know of */
const DEFAULT_MAX_MEMBERS = 100_000;
/** 100,000 members in both lists at about 1.2 KiB a row, as Bitbucket sends them */
const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
/** Bitbucket's smallest page: a list that pages more finely is not Bitbucket */
const MIN_PAGE_SIZE = 10;

/** `limits` under a provider's config key; the deadline ends before the schedule's timeout */
export function readRunLimits(
  c: Config,
  key: string,
  schedule: SchedulerServiceTaskScheduleDefinition,
): RunLimits {
  const scheduleTimeoutMs = durationToMilliseconds(
    schedule.timeout as HumanDuration,
  );
  const runTimeoutMs = c.has('limits.runTimeout')
    ? durationToMilliseconds(
        readDurationFromConfig(c, { key: 'limits.runTimeout' }),
      )
    : Math.floor((scheduleTimeoutMs * 2) / 3);
  if (!(runTimeoutMs > 0 && runTimeoutMs < scheduleTimeoutMs)) {
    throw new Error(
      `${key}.limits.runTimeout must be shorter than ${key}.schedule.timeout, so that a run ends itself and says why before the scheduler gives up on it`,
    );
  }
  return {
    maxMembers: readPositive(c, key, 'maxMembers', DEFAULT_MAX_MEMBERS),
    maxBytes: readPositive(c, key, 'maxBytes', DEFAULT_MAX_BYTES),
    runTimeoutMs,
  };
}

function readPositive(c: Config, key: string, name: string, fallback: number) {
  const value = c.getOptionalNumber(`limits.${name}`) ?? fallback;
  if (Number.isSafeInteger(value) && value > 0) {
    return value;
  }
  throw new Error(
    `${key}.limits.${name} must be a positive whole number, got ${value}`,
  );
}

/** One list read: the run's deadline, the members it has left and an even share of its bytes */
export function listRun(
  signal: AbortSignal,
  limits: RunLimits,
  membersRead: number,
  workspaces: number,
): ListRun {
  const left = limits.maxMembers - membersRead;
  return {
    signal,
    limits: {
      maxItems: left,
      maxPages: Math.ceil(left / MIN_PAGE_SIZE) + 1,
      // the shared client counts bytes per read
      maxBytes: Math.floor(limits.maxBytes / (workspaces * 2)),
    },
  };
}

/** Why a run failed, for the log, and the limit that ended it, by its name under `limits`, for the metric */
export function describeRunFailure(
  error: unknown,
  deadline: AbortSignal,
  key: string,
  limits: RunLimits,
): { reason: string; limit?: string } {
  const reason = isError(error) ? error.message : String(error);
  if (error instanceof BitbucketLimitReachedError) {
    // maxItems and maxPages both come from limits.maxMembers
    const limit = error.limit === 'maxBytes' ? 'maxBytes' : 'maxMembers';
    const unit = limit === 'maxBytes' ? 'bytes' : 'members';
    return {
      limit,
      reason: `${reason}. The run stopped at ${key}.limits.${limit} (${limits[limit]} ${unit} per run)`,
    };
  }
  // the shared client's message names limits.runTimeout already
  return { reason, limit: deadline.aborted ? 'runTimeout' : undefined };
}
