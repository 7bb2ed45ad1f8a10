// @ts-check
/**
 * The demo's voice: says what happens in plain sentences, shows requests and
 * answers in short, and keeps score of the promises it checked, so the demo
 * exits non-zero when any promise was broken.
 */

/**
 * @param {(line: string) => void} [write]
 */
export function createNarrator(write = (line) => process.stdout.write(`${line}\n`)) {
  /** @type {{ promise: string, kept: boolean, detail: string }[]} */
  const checks = [];
  let step = 0;
  return {
    /** A numbered chapter heading and what it is about. */
    chapter(/** @type {string} */ title, /** @type {string} */ story) {
      step++;
      write(`\n${step}. ${title}`);
      if (story) write(`   ${story}`);
    },
    /** A plain line of narration. */
    say(/** @type {string} */ line) {
      write(`   ${line}`);
    },
    /** A request and its answer, in one or two short lines. */
    exchange(
      /** @type {string} */ request,
      /** @type {{ status: number, body?: unknown, headers?: Headers }} */ answer,
      /** @type {string} */ summary = '',
    ) {
      const replayed = answer.headers?.get('idempotent-replayed')
        ? ' (Idempotent-Replayed: true)'
        : '';
      write(`   → ${request}`);
      write(`   ← ${answer.status}${replayed}${summary ? ` ${summary}` : ''}`);
    },
    /** Checks a promise: ✔ when kept, ✘ BROKEN with the detail when not. */
    check(
      /** @type {string} */ promise,
      /** @type {boolean} */ kept,
      /** @type {string} */ detail = '',
    ) {
      checks.push({ promise, kept, detail });
      write(`   ${kept ? '✔' : '✘ BROKEN:'} ${promise}${detail ? ` (${detail})` : ''}`);
      return kept;
    },
    /** The broken promises so far. */
    broken() {
      return checks.filter((c) => !c.kept);
    },
    /** The closing tally. */
    summary() {
      const broken = checks.filter((c) => !c.kept);
      if (broken.length === 0) return `All ${checks.length} promises kept.`;
      return `${broken.length} of ${checks.length} promises BROKEN:\n${broken
        .map((c) => `  ✘ ${c.promise}${c.detail ? ` (${c.detail})` : ''}`)
        .join('\n')}`;
    },
  };
}
