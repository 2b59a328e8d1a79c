import fs from 'node:fs';
import os from 'node:os';

/** Busy and total CPU time of the whole machine, in clock ticks, from /proc/stat */
export function readMachineCpu(): { busy: number; total: number } {
  const fields = fs
    .readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = fields[3] + fields[4]; // idle + iowait
  return { busy: total - idle, total };
}

/** Busy cores of the whole machine, averaged between two `readMachineCpu()` reads */
export function busyCoresBetween(
  before: { busy: number; total: number },
  after: { busy: number; total: number },
): number {
  return (
    ((after.busy - before.busy) / (after.total - before.total)) *
    os.cpus().length
  );
}

/** Node and machine, for a run's JSON record */
export function runEnvironment() {
  return {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    loadAverageAtEnd: os.loadavg(),
  };
}
