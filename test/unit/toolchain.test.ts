import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHROMIUM_INSTALL, chromiumProblem } from '../../scripts/lib/ops/chromium.mjs';

// What a newcomer installs (README, Prerequisites) and what CI installs (.ci/run).

const readme = readFileSync('README.md', 'utf8');
const ciRun = readFileSync('.ci/run', 'utf8');
const prerequisites = readme.slice(
  readme.indexOf('## Prerequisites'),
  readme.indexOf('\n## ', readme.indexOf('## Prerequisites') + 1),
);
/** The packages of every `apt-get install -y ...` in a text, each line as written. */
const aptInstalls = (text: string) =>
  [...text.matchAll(/apt-get install -y ([a-z0-9.+-]+(?: [a-z0-9.+-]+)*)/g)].map((m) => m[1]);

describe('Prerequisites: README and CI', () => {
  it('lists the browser beside Java, each with its one install line', () => {
    expect(prerequisites).toContain(CHROMIUM_INSTALL);
    expect(aptInstalls(prerequisites).sort()).toEqual(['chromium', 'openjdk-17-jre-headless']);
  });

  it('has CI install exactly what the README tells a newcomer to, with the same lines', () => {
    expect(aptInstalls(ciRun).sort()).toEqual(aptInstalls(prerequisites).sort());
  });
});

describe('Function: chromiumProblem', () => {
  it('answers with the one line that installs Chromium when there is none', () => {
    const problem = chromiumProblem('/nonexistent/chromium');
    expect(problem).toBe(
      `no Chromium at /nonexistent/chromium; the console's browser tests need it: ${CHROMIUM_INSTALL} (or set CHROME_PATH)`,
    );
    expect(problem).not.toContain('\n');
  });

  it('says so when the executable is there but does not start', () => {
    expect(chromiumProblem('/bin/false')).toMatch(
      /^Chromium at \/bin\/false does not start \(exit 1.*sudo apt-get install -y chromium/,
    );
  });

  it('has nothing to say about an executable that answers --version', () => {
    expect(chromiumProblem(process.execPath)).toBeUndefined();
  });
});
