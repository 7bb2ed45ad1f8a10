// @ts-check
/**
 * CPU time of the local stack's processes, for `npm run bench`: user +
 * system ms of a pid from /proc (Linux); `undefined` where there is no /proc
 * or the process is gone, so the bench prints "not measured" rather than 0.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** @type {number | undefined} */
let ticksPerSecond;

function clockTicks() {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * CPU ms a process has used so far (all its threads: serverless-offline's
 * function workers are threads of its process).
 * @param {number | undefined} pid
 * @returns {number | undefined}
 */
export function processCpuMs(pid) {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may hold spaces: utime is the 14th, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks();
  } catch {
    return undefined;
  }
}

/**
 * CPU ms so far of each named process, plus `client`: this process.
 * @param {Record<string, number | undefined>} pids
 * @returns {Record<string, number | undefined>}
 */
export function cpuSnapshot(pids) {
  const own = process.cpuUsage();
  /** @type {Record<string, number | undefined>} */
  const snapshot = { client: (own.user + own.system) / 1000 };
  for (const [name, pid] of Object.entries(pids)) snapshot[name] = processCpuMs(pid);
  return snapshot;
}

/**
 * CPU ms each process spent between two snapshots, divided by `per` (the
 * requests done meanwhile); undefined for a process not measured.
 * @param {Record<string, number | undefined>} before
 * @param {Record<string, number | undefined>} after
 * @param {number} per
 * @returns {Record<string, number | undefined>}
 */
export function cpuPer(before, after, per) {
  /** @type {Record<string, number | undefined>} */
  const out = {};
  for (const [name, end] of Object.entries(after)) {
    const start = before[name];
    out[name] =
      end === undefined || start === undefined || per <= 0 ? undefined : (end - start) / per;
  }
  return out;
}

/**
 * The most of the ceiling's throughput the payment flow could reach on this
 * machine if the functions' own code cost no CPU at all: every payment would
 * still cost DynamoDB Local's and the load client's CPU, and
 * serverless-offline's for routing and invoking its functions, at the
 * ceiling's cost per invocation. Both runs saturate the same cores, so
 * throughput goes as the inverse of CPU per request.
 * @param {{
 *   ceiling: Record<string, number | undefined>,
 *   payment: Record<string, number | undefined>,
 *   ceilingInvocations: number,
 *   paymentInvocations: number,
 * }} m CPU ms per chain and per payment by process; invocations of each
 * @returns {{ floorMs: number, share: number, offlineMs: number } | undefined}
 */
export function throughputBound(m) {
  const { offline: ceilingOffline, dynamodb: ceilingDb = 0, client: ceilingClient } = m.ceiling;
  const { dynamodb, client } = m.payment;
  if (ceilingOffline === undefined || ceilingClient === undefined) return undefined;
  if (dynamodb === undefined || client === undefined) return undefined;
  const offlineMs = (ceilingOffline / m.ceilingInvocations) * m.paymentInvocations;
  const floorMs = dynamodb + client + offlineMs;
  const ceilingMs = ceilingOffline + ceilingDb + ceilingClient;
  return { floorMs, share: ceilingMs / floorMs, offlineMs };
}
