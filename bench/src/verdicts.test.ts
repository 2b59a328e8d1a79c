import { fakeRun, SLOW_CALLBACKS } from './__testUtils__/fakeRun';
import type { RunRecord } from './types';
import { checkTargets, formatTargets } from './verdicts';

const verdictOf = (run: RunRecord, target: RegExp) =>
  checkTargets(run).find(check => target.test(check.target))!;

describe('the verdicts', () => {
  it('pass a run whose windows were all completed and whose figures meet the targets', () => {
    expect(checkTargets(fakeRun()).map(check => check.verdict)).toEqual([
      'PASS',
      'PASS',
      'PASS',
      'PASS',
    ]);
  });

  it('fail a completed run that misses a target', () => {
    const run = fakeRun({ oursCpuPerSignIn: 5.2 });
    expect(verdictOf(run, /CPU per sign-in/).verdict).toBe('FAIL');
  });

  it('judge memory by the V8 heap slope and by RSS growth within 2%', () => {
    const memory = (options: Parameters<typeof fakeRun>[0]) =>
      verdictOf(fakeRun(options), /RSS after GC flat/).verdict;
    // an allocator step: 8 MB on 500, public up by 1 MB
    expect(memory({ oursRssGrowthMb: 8 })).toBe('PASS');
    // 2.4 KB kept per sign-in, outside the heap
    expect(memory({ oursRssGrowthMb: 12 })).toBe('FAIL');
    // 250 bytes kept per sign-in in the heap: RSS hides it in its slack
    expect(memory({ oursHeapGrowthMb: 1.25 })).toBe('FAIL');
  });

  it('refuse the memory verdict when the second window was cut short, however flat it looks', () => {
    // issue 22: on a busy machine the "second 5,000" held 1,449 sign-ins for ours
    const run = fakeRun({ oursSecondWindow: 1449 });
    const memoryCheck = verdictOf(run, /RSS after GC flat/);

    expect(memoryCheck.verdict).toBe('REFUSED');
    expect(memoryCheck.unfinished).toEqual([
      { what: 'ours second window', planned: 5000, reached: 1449 },
    ]);
    expect(formatTargets([memoryCheck]).join('\n')).toMatch(
      /^ {2}REFUSED .*\n.*not judged: window not completed \(ours second window 1,449 of 5,000\)$/,
    );
    // the CPU and error verdicts stand on that window too; the latency one does not
    expect(verdictOf(run, /CPU per sign-in/).verdict).toBe('REFUSED');
    expect(verdictOf(run, /no failed sign-ins/).verdict).toBe('REFUSED');
    expect(verdictOf(run, /callback p50/).verdict).toBe('PASS');
  });

  it('refuse the latency verdict on fewer callbacks than planned', () => {
    const run = fakeRun({ oursSlowCallbacks: 30 });
    expect(verdictOf(run, /callback p50/)).toMatchObject({
      verdict: 'REFUSED',
      unfinished: [
        {
          what: 'ours callbacks at +100 ms',
          planned: SLOW_CALLBACKS,
          reached: 30,
        },
      ],
    });
  });
});
