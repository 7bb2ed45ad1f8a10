// @ts-check
/**
 * The headless Chromium that the console's browser tests and
 * `npm run screenshots` drive: CHROME_PATH, else Debian's `chromium` package.
 */

/** The Chromium executable. */
export const CHROME_PATH = process.env.CHROME_PATH || '/usr/bin/chromium';

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
