import type { GatewayChargeResult } from '../gateway-port.js';

/** What the gateway keeps of one key: its first answer, a charge or a void (which has no amount). */
export interface GatewayLedgerEntry {
  idempotencyKey: string;
  result: GatewayChargeResult;
  amountMinor?: number;
  currency?: string;
  userId?: string;
  /** When the first answer was recorded (the charge, or the void). */
  chargedAt: string;
}

/**
 * The gateway's own record of what it charged, keyed by idempotency key. It
 * lives outside the function that called the gateway (as a real gateway's
 * does), so a caller that died before reading the answer can ask again.
 */
export interface GatewayLedger {
  /** Records `entry` unless the key has one (a charge or a void); returns the first entry (first answer wins). */
  record(entry: GatewayLedgerEntry): Promise<GatewayLedgerEntry>;
  /** The entry of a key, or undefined when the gateway never charged under it. */
  find(idempotencyKey: string): Promise<GatewayLedgerEntry | undefined>;
}

/** A ledger in this process's memory: the simulator's fallback where no table is configured. */
export class InMemoryGatewayLedger implements GatewayLedger {
  readonly entries = new Map<string, GatewayLedgerEntry>();

  async record(entry: GatewayLedgerEntry): Promise<GatewayLedgerEntry> {
    const first = this.entries.get(entry.idempotencyKey);
    if (first) return first;
    this.entries.set(entry.idempotencyKey, entry);
    return entry;
  }

  async find(idempotencyKey: string): Promise<GatewayLedgerEntry | undefined> {
    return this.entries.get(idempotencyKey);
  }
}
