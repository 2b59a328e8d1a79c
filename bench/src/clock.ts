import { performance } from 'node:perf_hooks';

/** The bench's own clock: its time budget counts from here (the first import) */
const began = performance.now();

export const elapsedMs = () => performance.now() - began;

export function log(message: string): void {
  const seconds = (elapsedMs() / 1000).toFixed(1);
  process.stderr.write(`[bench ${seconds}s] ${message}\n`);
}
