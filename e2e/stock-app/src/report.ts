/** What the check found and how long each step took, printed as it goes */

const checks: { name: string; ok: boolean }[] = [];
const timings: { title: string; ms: number }[] = [];
const totals: { prefix: string; title: string }[] = [];
const started = Date.now();

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
const line = (ms: number, title: string) =>
  console.log(`${seconds(ms).padStart(8)}  ${title}`);

export const tail = (text: string, lines = 40) =>
  text.trimEnd().split('\n').slice(-lines).join('\n');

export function check(name: string, ok: boolean, detail?: string) {
  checks.push({ name, ok });
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}${detail ? `: ${detail}` : ''}`);
}

/** One timed step; a throw fails the check named `title` and returns undefined */
export async function step<T>(title: string, body: () => Promise<T>) {
  const t0 = Date.now();
  console.log(`\n=== ${title} (at ${seconds(t0 - started)})`);
  try {
    const result = await body();
    check(title, true);
    return result;
  } catch (error) {
    check(title, false, (error as Error).message);
    return undefined;
  } finally {
    timings.push({ title, ms: Date.now() - t0 });
    console.log(`--- ${seconds(Date.now() - t0)}  ${title}`);
  }
}

/** A closing line: the times of the steps whose titles start with `prefix`, added up */
export const total = (prefix: string, title: string) =>
  totals.push({ prefix, title });

/** The step times, the totals, then the closing line `.ci/run` adds up; returns the number of failures */
export function summary(): number {
  console.log('\n=== wall time per step');
  timings.forEach(({ title, ms }) => line(ms, title));
  for (const { prefix, title } of totals) {
    const steps = timings.filter(t => t.title.startsWith(prefix));
    const ms = steps.reduce((sum, t) => sum + t.ms, 0);
    line(ms, title);
  }
  line(Date.now() - started, 'total: the whole check, packing included');
  const failed = checks.filter(c => !c.ok).map(c => `\n- ${c.name}`);
  if (failed.length) console.log(`\nfailed:${failed.join('')}`);
  const passed = checks.length - failed.length;
  console.log(`\n${passed} passed, ${failed.length} failed`);
  return failed.length;
}
