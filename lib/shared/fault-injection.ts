import { headerValue } from './correlation.js';

/** The request header that asks for a fault (local and test stages only). */
export const FAULT_HEADER = 'x-fault-inject';

/**
 * One injected fault. The grammar of `x-fault-inject`, in one place:
 *
 * ```
 * header  = fault *( "," fault )          (at most 8; unknown parts are ignored)
 * fault   = target "=" kind [ ":" value ] [ "x" count ]
 * ```
 *
 * Faults the internal client applies to a call to `target` (order, notification):
 * - `status:<code>`: the call answers `<code>` without reaching the service;
 * - `delay:<ms>`: the call waits `<ms>` (abortably) before it is sent, so timeouts fire;
 * - `network`: the call fails as if the connection had been refused.
 *
 * `x<count>` limits a client fault to the first `<count>` attempts of each call
 * (`order=status:503x2`: two 503s, then the real answer); without it the fault
 * applies to every attempt. Faults a service applies to itself (such as
 * `payment=crash-after-charge`) are read by that service with {@link findFault}.
 */
export interface Fault {
  target: string;
  kind: string;
  value?: number;
  /** How many attempts of a call the fault applies to; every attempt when absent. */
  count?: number;
}

const FAULT_PATTERN = /^\s*([a-z]+)=([a-z-]+)(?::(\d{1,6}))?(?:x(\d{1,3}))?\s*$/;

/**
 * Parses `x-fault-inject` (see {@link Fault} for the grammar). Returns no
 * faults unless `enabled` (true only in the local and test stages), so the
 * header is inert everywhere else. Unknown syntax is ignored, not an error.
 */
export function parseFaults(
  headers: Record<string, string | undefined> | undefined,
  enabled: boolean,
): Fault[] {
  if (!enabled) return [];
  const raw = headerValue(headers, FAULT_HEADER);
  if (!raw) return [];
  const faults: Fault[] = [];
  for (const part of raw.split(',').slice(0, 8)) {
    const match = FAULT_PATTERN.exec(part);
    if (!match) continue;
    const [, target = '', kind = '', value, count] = match;
    const fault: Fault = { target, kind };
    if (value !== undefined) fault.value = Number(value);
    if (count !== undefined) fault.count = Number(count);
    faults.push(fault);
  }
  return faults;
}

/** The first fault for `target` (and `kind`, if given). */
export function findFault(faults: Fault[], target: string, kind?: string): Fault | undefined {
  return faults.find((f) => f.target === target && (kind === undefined || f.kind === kind));
}

/** The faults the internal client knows how to apply to a call. */
export type ClientFault =
  | { kind: 'status'; status: number }
  | { kind: 'delay'; ms: number }
  | { kind: 'network' };

/**
 * The client fault that applies to attempt `attempt` (1-based) of a call to
 * `target`, honouring each fault's `count`; undefined when none applies.
 */
export function clientFaultFor(
  faults: Fault[] | undefined,
  target: string,
  attempt: number,
): ClientFault | undefined {
  for (const fault of faults ?? []) {
    if (fault.target !== target) continue;
    if (fault.count !== undefined && attempt > fault.count) continue;
    if (
      fault.kind === 'status' &&
      fault.value !== undefined &&
      fault.value >= 200 &&
      fault.value <= 599
    ) {
      return { kind: 'status', status: fault.value };
    }
    if (fault.kind === 'delay' && fault.value !== undefined)
      return { kind: 'delay', ms: fault.value };
    if (fault.kind === 'network') return { kind: 'network' };
  }
  return undefined;
}
