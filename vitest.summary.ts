import type { File, Reporter, Task } from "vitest";

/** Ends the run with one plain `N passed, N failed, N skipped` line, readable by any CI. */
export default class SummaryReporter implements Reporter {
  onFinished(files: File[] = []): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const walk = (t: Task) => {
      if (t.type === "suite") {
        for (const c of t.tasks) walk(c);
        if (t.result?.state === "fail" && t.tasks.length === 0) failed++;
        return;
      }
      const s = t.result?.state;
      if (s === "pass") passed++;
      else if (s === "fail") failed++;
      else skipped++;
    };
    for (const f of files) {
      for (const t of f.tasks) walk(t);
      // a file that failed to load has no tasks but is a failure
      if (f.result?.state === "fail" && f.tasks.length === 0) failed++;
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
