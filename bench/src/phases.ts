/**
 * The run's phases, in order. Each backend's first window (latency phases
 * included) brings it to its memory plateau; the second, at 50 concurrent
 * with RSS after GC at every step, is what the memory and CPU verdicts are
 * judged on (docs/bench-findings.md says why).
 */
import { abba } from './plan';
import type { Session } from './session';
import * as labels from './types';
import { backendNames, latencyVariants, variants } from './variants';

const c50 = { concurrency: 50, latencyMs: 0 };

/** JIT, connection pools, signing keys; counted nowhere */
export async function warmUp(session: Session) {
  const { warmUp: perVariant } = session.plan;
  const both = [variants.ours, variants.public];
  await session.alternate('warm-up', both, { ...c50, perVariant, rounds: 2 });
  session.blocks.length = 0;
  for (const name of backendNames) {
    session.signIns[name] = 0;
    await session.memoryPoint(name, labels.AFTER_WARM_UP);
  }
}

/** Callback latency at concurrency 1: what one person waits for */
export async function latency(session: Session) {
  for (const { addedMs, perVariant, rounds } of session.plan.latency) {
    await session.alternate(`latency +${addedMs} ms`, latencyVariants, {
      concurrency: 1,
      latencyMs: addedMs,
      perVariant,
      rounds,
    });
  }
}

/** The rest of each backend's first window, at 50 concurrent */
export async function firstWindow(session: Session) {
  const { window, firstWindowRounds: rounds } = session.plan;
  for (let round = 0; round < rounds; round++) {
    for (const name of abba(backendNames, round)) {
      const missing = window - session.signIns[name];
      const count = Math.ceil(missing / (rounds - round));
      if (count > 0) {
        await session.block(variants[name], 'first window', { ...c50, count });
      }
    }
  }
  for (const name of backendNames) {
    await session.memoryPoint(name, labels.END_OF_FIRST_WINDOW);
  }
}

/** The second window at 50 concurrent, RSS after GC after each step */
export async function secondWindow(session: Session) {
  const { window, windowPoints: points } = session.plan;
  const start = { ...session.signIns };
  for (let point = 1; point <= points; point++) {
    for (const name of abba(backendNames, point - 1)) {
      const target = start[name] + Math.round((point * window) / points);
      const count = target - session.signIns[name];
      await session.block(variants[name], 'second window', { ...c50, count });
      const last = point === points;
      const label = last
        ? labels.END_OF_SECOND_WINDOW
        : `second window ${point}/${points}`;
      await session.memoryPoint(name, label);
    }
  }
}
