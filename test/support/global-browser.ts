import { chromiumProblem } from '../../scripts/lib/ops/chromium.mjs';

/**
 * End-to-end tests include the console's, in Chromium (a README prerequisite).
 * Without it the run stops here, at once, with the one line that installs it,
 * instead of a Playwright stack trace after the stack has started.
 */
export default function setup() {
  const problem: string | undefined = chromiumProblem();
  if (!problem) return;
  const error = new Error(problem);
  // The message is the whole story: no stack frames under it.
  error.stack = `Error: ${problem}`;
  throw error;
}
