// @ts-check
/**
 * The headless Chromium that the console's browser tests and
 * `npm run screenshots` drive: CHROME_PATH, else Debian's `chromium` package.
 * It is a prerequisite like Java (README): nothing here downloads a browser.
 */
import { spawnSync } from 'node:child_process';

/** The Chromium executable. */
export const CHROME_PATH = process.env.CHROME_PATH || '/usr/bin/chromium';

/** The README's line that installs it (Debian, Ubuntu); `.ci/run` runs the same. */
export const CHROMIUM_INSTALL = 'sudo apt-get install -y chromium';

/** Flags for a quiet, offline, throwaway headless browser. */
export const CHROME_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * One line that says why the browser cannot start and how to install it, or
 * undefined when `CHROME_PATH --version` answers. Checked before anything
 * waits minutes for a stack, so a machine without it stops at once.
 * @param {string} [executable]
 * @returns {string | undefined}
 */
export function chromiumProblem(executable = CHROME_PATH) {
  const run = spawnSync(executable, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (!run.error && run.status === 0) return undefined;
  const why = run.error
    ? /** @type {NodeJS.ErrnoException} */ (run.error).code === 'ENOENT'
      ? `no Chromium at ${executable}`
      : `Chromium at ${executable} does not start (${run.error.message})`
    : `Chromium at ${executable} does not start (exit ${run.status}: ${(run.stderr || '').trim().split('\n')[0]})`;
  return `${why}; the console's browser tests need it: ${CHROMIUM_INSTALL} (or set CHROME_PATH)`;
}
