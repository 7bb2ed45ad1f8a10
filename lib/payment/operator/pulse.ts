/**
 * The on-call pulse (GET /pulse): payments per minute by outcome, their
 * durations, and the outbox's backlog, aggregated from what bounded index
 * reads returned (lib/payment/pulse-store.ts reads them). Pure: no I/O, no
 * clock of its own, so every bucket and percentile is tested on its own.
 */

/** The windows the pulse offers, and the width of one bucket in each. */
export const PULSE_WINDOWS = {
  '15m': { windowMs: 15 * 60_000, bucketMs: 60_000 },
  '1h': { windowMs: 60 * 60_000, bucketMs: 60_000 },
  '6h': { windowMs: 6 * 60 * 60_000, bucketMs: 5 * 60_000 },
} as const;
/** A window's name: `15m`, `1h` or `6h`. */
export type PulseWindow = keyof typeof PULSE_WINDOWS;
/** The window the pulse shows when none is asked for. */
export const DEFAULT_PULSE_WINDOW: PulseWindow = '1h';

/**
 * How the outcome of a final payment is counted. `declined`: FAILED with the
 * gateway's reason; `voided`: FAILED because an operator voided its key
 * (docs/order-arbiter.md). A request the order refused, or one that failed
 * before a charge, leaves no payment item, so it has no line here.
 */
export type PaymentOutcome = 'succeeded' | 'declined' | 'voided';
/** The outcomes, in the order the charts stack them. */
export const PAYMENT_OUTCOMES: readonly PaymentOutcome[] = ['succeeded', 'declined', 'voided'];

/** A final payment as the pulse reads it from the status index. */
export interface PulsePayment {
  createdAt: string;
  /** Absent on items written before the index projected it: counted, not timed. */
  finalizedAt?: string;
  outcome: PaymentOutcome;
}

/** One bucket of payments: counts by outcome and the durations of those that finished. */
export interface PaymentBucket {
  /** The bucket's first instant (ISO); it lasts `bucketSeconds`. */
  start: string;
  /** False when the read stopped at its cap before this bucket was read whole: no numbers then. */
  complete: boolean;
  succeeded: number | null;
  declined: number | null;
  voided: number | null;
  /** How many payments of the bucket have a duration. */
  timed: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
}

/** One bucket of the outbox's backlog: events still PENDING or DEAD now, by when they were created. */
export interface OutboxBucket {
  start: string;
  pending: number;
  dead: number;
}

/** An outbox event as the pulse reads it from the outbox-due index. */
export interface PulseEvent {
  eventId: string;
  transactionId: string;
  createdAt: string;
}

/** What a capped read returned: its items, and where it stopped. */
export interface CappedRead<T> {
  items: T[];
  /** True when the read stopped at its cap: not everything was read. */
  capped: boolean;
  /**
   * With `capped`: items created at or before this instant may be missing
   * (each shard is read newest first, so everything after its last item read
   * is complete). Absent: nothing is missing.
   */
  incompleteUpTo?: string;
}

/** The pulse as GET /pulse answers it. */
export interface Pulse {
  at: string;
  window: PulseWindow;
  from: string;
  bucketSeconds: number;
  payments: {
    /** The read's cap (payments in all shards together) and whether it was reached. */
    cap: number;
    capped: boolean;
    /** The first instant the counts are complete from (`from` unless capped). */
    completeFrom: string;
    buckets: PaymentBucket[];
    /** Over the complete buckets. */
    totals: Record<PaymentOutcome, number>;
    durationMs: { timed: number; p50: number | null; p99: number | null };
  };
  outbox: {
    cap: number;
    capped: boolean;
    /** Events PENDING and DEAD now (exact below the cap, at least this many when capped). */
    pending: number;
    dead: number;
    oldestPending?: {
      eventId: string;
      transactionId: string;
      createdAt: string;
      ageSeconds: number;
    };
    /** Events PENDING or DEAD now, by the bucket they were created in. */
    buckets: OutboxBucket[];
    /** Those created before the window. */
    beforeWindow: { pending: number; dead: number };
  };
}

/**
 * The `p`th percentile of `values` by nearest rank: the smallest value that
 * at least p% of the values are less than or equal to. Null for no values.
 * (With fewer than 100 values, p99 is the largest.)
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** A payment's duration: from its charge's start (createdAt) to its final status (finalizedAt), in ms. */
export function durationMs(payment: PulsePayment): number | undefined {
  if (!payment.finalizedAt) return undefined;
  const ms = Date.parse(payment.finalizedAt) - Date.parse(payment.createdAt);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/** Where the window starts: `windowMs` back from the end of the bucket `now` is in, on a bucket boundary. */
export function windowStart(now: Date, window: PulseWindow): Date {
  const { windowMs, bucketMs } = PULSE_WINDOWS[window];
  const currentBucket = Math.floor(now.getTime() / bucketMs) * bucketMs;
  return new Date(currentBucket + bucketMs - windowMs);
}

/**
 * Aggregates what the reads returned into the pulse: payments into buckets
 * of the window by the minute their charge started, with p50/p99 durations
 * per bucket and over the window; outbox events by the bucket they were
 * created in. A bucket that a capped read may not have read whole has no
 * numbers (`complete: false`), and the totals leave it out: a chart drawn
 * from part of a minute would say the minute was quiet.
 */
export function aggregatePulse(input: {
  now: Date;
  window: PulseWindow;
  payments: CappedRead<PulsePayment>;
  paymentCap: number;
  pending: CappedRead<PulseEvent>;
  dead: CappedRead<PulseEvent>;
  outboxCap: number;
}): Pulse {
  const { now, window } = input;
  const { windowMs, bucketMs } = PULSE_WINDOWS[window];
  const from = windowStart(now, window).getTime();
  const count = windowMs / bucketMs;
  const starts = Array.from({ length: count }, (_, i) => from + i * bucketMs);
  const indexOf = (iso: string) => {
    const at = Date.parse(iso);
    if (!Number.isFinite(at) || at < from) return -1;
    return Math.min(count - 1, Math.floor((at - from) / bucketMs));
  };

  // A bucket is complete when it starts after the last instant the read may have missed.
  const missedUpTo = input.payments.capped
    ? Date.parse(input.payments.incompleteUpTo ?? new Date(now).toISOString())
    : Number.NEGATIVE_INFINITY;
  const complete = (start: number) => start > missedUpTo;

  const byBucket = starts.map(() => ({
    succeeded: 0,
    declined: 0,
    voided: 0,
    durations: [] as number[],
  }));
  const totals: Record<PaymentOutcome, number> = { succeeded: 0, declined: 0, voided: 0 };
  const durations: number[] = [];
  for (const payment of input.payments.items) {
    const i = indexOf(payment.createdAt);
    const bucket = byBucket[i];
    if (!bucket || !complete(starts[i] as number)) continue;
    bucket[payment.outcome]++;
    totals[payment.outcome]++;
    const ms = durationMs(payment);
    if (ms !== undefined) {
      bucket.durations.push(ms);
      durations.push(ms);
    }
  }
  const firstComplete = starts.find(complete);

  const outboxBuckets = starts.map((start) => ({
    start: new Date(start).toISOString(),
    pending: 0,
    dead: 0,
  }));
  const beforeWindow = { pending: 0, dead: 0 };
  for (const [status, read] of [
    ['pending', input.pending],
    ['dead', input.dead],
  ] as const) {
    for (const event of read.items) {
      const bucket = outboxBuckets[indexOf(event.createdAt)];
      if (bucket) bucket[status]++;
      else beforeWindow[status]++;
    }
  }
  const oldest = input.pending.items.reduce<PulseEvent | undefined>(
    (min, e) => (min === undefined || e.createdAt < min.createdAt ? e : min),
    undefined,
  );

  return {
    at: now.toISOString(),
    window,
    from: new Date(from).toISOString(),
    bucketSeconds: bucketMs / 1000,
    payments: {
      cap: input.paymentCap,
      capped: input.payments.capped,
      completeFrom: new Date(firstComplete ?? now.getTime()).toISOString(),
      buckets: starts.map((start, i) => {
        const b = byBucket[i] as (typeof byBucket)[number];
        const whole = complete(start);
        return {
          start: new Date(start).toISOString(),
          complete: whole,
          succeeded: whole ? b.succeeded : null,
          declined: whole ? b.declined : null,
          voided: whole ? b.voided : null,
          timed: whole ? b.durations.length : null,
          p50Ms: whole ? percentile(b.durations, 50) : null,
          p99Ms: whole ? percentile(b.durations, 99) : null,
        };
      }),
      totals,
      durationMs: {
        timed: durations.length,
        p50: percentile(durations, 50),
        p99: percentile(durations, 99),
      },
    },
    outbox: {
      cap: input.outboxCap,
      capped: input.pending.capped || input.dead.capped,
      pending: input.pending.items.length,
      dead: input.dead.items.length,
      ...(oldest && {
        oldestPending: {
          ...oldest,
          ageSeconds: Math.max(
            0,
            Math.round((now.getTime() - Date.parse(oldest.createdAt)) / 1000),
          ),
        },
      }),
      buckets: outboxBuckets,
      beforeWindow,
    },
  };
}
