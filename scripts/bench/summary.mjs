// @ts-check
/**
 * What every part of `npm run bench` shares: how it prints, the targets of
 * issue 12 (and 24), and the summary every figure is recorded into and that
 * the run ends with.
 */
import os from 'node:os';
import { meetsTarget, table, times } from '../lib/common/report.mjs';

/** The targets of issue 12, each figure's bound. */
export const TARGETS = {
  throughput: { atLeast: 0.3 },
  p50Ratio: { atMost: 4 },
  // Issue 24: the order's creation, the payment and every effect, in write units.
  writeUnitsPerPayment: { atMost: 24 },
  // Issue 24: 0-2 read units per payment.
  readUnitsPerPayment: { atMost: 2 },
  // The busiest index key that many payments share: ≥ 10,000 payments/s at ~1,000 WCU/s.
  hottestKeyUnitsPerPayment: { atMost: 0.1 },
  // Issue 24: a backlog drains at least as fast as the fast path made its events.
  drainRatio: { atLeast: 1 },
  replayRequests: { atMost: 1 },
  callbackRepeatRequests: { atMost: 2 },
  bundleRatio: { atMost: 2 },
  initRatio: { atMost: 1.3 },
  coldBurstAnswered: { atLeast: 1 },
  startSeconds: { atMost: 12 },
};

export const say = (/** @type {string} */ line = '') => process.stdout.write(`${line}\n`);
export const pct = (/** @type {number} */ n) => `${Math.round(n * 100)} %`;

/**
 * The figures of this run, for the summary: measured, target, and the ratio
 * to the reference the target is stated against (if any).
 * @type {{ what: string, value: number, shown: string, target: { atLeast?: number, atMost?: number }, show: (n: number) => string }[]}
 */
const summary = [];
/**
 * @param {string} what @param {number} value @param {string} shown
 * @param {{ atLeast?: number, atMost?: number }} target @param {(n: number) => string} show
 */
export const record = (what, value, shown, target, show) =>
  summary.push({ what, value, shown, target, show });

/** The summary: every figure with its target and whether it was met. */
export function printSummary() {
  say('\n## Summary: every figure against its target');
  say(
    table(
      ['figure', 'measured', 'ratio / value', 'target', 'verdict'],
      summary.map((f) => [
        f.what,
        f.shown,
        Number.isFinite(f.value)
          ? f.show(1).endsWith('×')
            ? times(f.value)
            : f.show(Number(f.value.toFixed(2)))
          : 'n/a',
        f.target.atLeast !== undefined
          ? `≥ ${f.show(f.target.atLeast)}`
          : `≤ ${f.show(f.target.atMost ?? Number.NaN)}`,
        Number.isFinite(f.value) ? (meetsTarget(f.value, f.target) ? 'ok' : 'MISSED') : 'n/a',
      ]),
    ),
  );
}

/** The 1, 5 and 15 minute load averages and the core count: how shared the machine was. */
export function loadAverage() {
  const [one = 0, five = 0, fifteen = 0] = os.loadavg();
  return `${one.toFixed(1)} / ${five.toFixed(1)} / ${fifteen.toFixed(1)} (1/5/15 min) on ${os.cpus().length} cores`;
}
