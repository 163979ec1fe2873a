import { existsSync } from 'node:fs';

/**
 * `describe`, when the program at `path` is installed. Without it the suite is skipped with a loud
 * message, except under `CI=true`, where it fails: CI must never pass with a suite silently left
 * out for want of a program.
 */
export function describeWhenInstalled(
  tool: {
    path: string;
    /** What is missing and how to install it. */
    why: string;
    /** The suites it serves, as the skip message names them: `the browser tests`. */
    suites: string;
    /** The failing test's name under CI: `runs in Chromium`. */
    required: string;
  },
  name: string,
  fn: () => void,
): void {
  if (existsSync(tool.path)) {
    describe(name, fn);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      it(`${tool.required} (required under CI=true)`, () => {
        throw new Error(tool.why);
      });
    });
    return;
  }
  // Straight to stderr: Jest drops the console output of a file whose tests were all skipped.
  const bar = '!'.repeat(100);
  process.stderr.write(
    `\n${bar}\n!! SKIPPED: ${tool.suites} "${name}".\n!! ${tool.why}\n${bar}\n\n`,
  );
  describe.skip(name, fn);
}
