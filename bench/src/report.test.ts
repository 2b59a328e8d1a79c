import { fakeRun } from './__testUtils__/fakeRun';
import { buildReport, printReport } from './report';

function printed(run: ReturnType<typeof fakeRun>) {
  const write = jest.spyOn(process.stdout, 'write').mockReturnValue(true);
  try {
    printReport(buildReport(run));
    return write.mock.calls.map(([text]) => String(text)).join('');
  } finally {
    write.mockRestore();
  }
}

describe('the printed report', () => {
  it('prints the refusal, and why, for a second window cut short', () => {
    const text = printed(fakeRun({ oursSecondWindow: 1449 }));

    expect(text).toMatch(
      /^ {2}REFUSED RSS after GC flat over the second window: .*\n {10}not judged: window not completed \(ours second window 1,449 of 5,000\)$/m,
    );
    expect(text).toMatch(/^ {2}PASS {4}callback p50 at \+100 ms/m);
  });

  it('has the memory rows in MB, for both backends', () => {
    const row = buildReport(fakeRun()).rows.find(
      r => r.metric === 'RSS growth, window 2 (MB)',
    );

    expect(row?.values).toEqual({ ours: 1, public: 1 });
  });

  it("shows the CPU ratio the verdict judges: ours' CPU per sign-in over public's", () => {
    const row = buildReport(fakeRun({ oursCpuPerSignIn: 5 })).rows.find(r =>
      r.metric.startsWith('backend CPU per sign-in'),
    );

    expect(row?.values).toEqual({ ours: 5, public: 4 });
    expect(row?.ratio.ratio).toBe(1.25);
  });
});
