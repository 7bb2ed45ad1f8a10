import { headerValue } from './correlation.js';

/** The request header that asks for a fault (local and test stages only). */
export const FAULT_HEADER = 'x-fault-inject';

/**
 * One injected fault. `target` is the downstream (or `payment` itself);
 * examples: `order=status:503`, `notification=delay:5000`,
 * `order=network`, `payment=crash-after-charge`.
 */
export interface Fault {
  target: string;
  kind: string;
  value?: number;
}

/**
 * Parses `x-fault-inject` (comma-separated `target=kind[:value]`). Returns no
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
    const match = /^\s*([a-z]+)=([a-z-]+)(?::(\d{1,6}))?\s*$/.exec(part);
    if (!match) continue;
    const [, target = '', kind = '', value] = match;
    faults.push(value === undefined ? { target, kind } : { target, kind, value: Number(value) });
  }
  return faults;
}

/** The first fault for `target` (and `kind`, if given). */
export function findFault(faults: Fault[], target: string, kind?: string): Fault | undefined {
  return faults.find((f) => f.target === target && (kind === undefined || f.kind === kind));
}
