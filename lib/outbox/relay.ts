import type { Logger } from '@aws-lambda-powertools/logger';
import {
  DeliveryEngine,
  type DeliveryEngineOptions,
  type DeliveryHooks,
  type DrainOptions,
  type RelayRunResult,
} from './delivery-engine.js';
import { redriveEvents } from './redrive.js';
import type { EventDeliverer, OutboxEvent, OutboxStore } from './types.js';

export type { RelayRunResult } from './delivery-engine.js';

/** What the relay reports, for metrics; logs are written anyway. */
export type OutboxRelayHooks = DeliveryHooks;

/** Options of {@link OutboxRelay}: the engine's settings, its store and the deliverer it uses. */
export interface OutboxRelayOptions extends DeliveryEngineOptions {
  store: OutboxStore;
  deliver: EventDeliverer;
  logger: Logger;
}

/** Options of one {@link OutboxRelay.runOnce}. */
export type RelayRunOptions = DrainOptions;

/**
 * Recovery of the outbox: each run drives the {@link DeliveryEngine} over
 * the due events (of its slice of the shards) until none is left or the
 * run's time is nearly spent, and an operator's re-drive puts DEAD events
 * back. Delivery is at least once: a conditional claim on each event keeps
 * two runs from working on it at the same time, and consumers dedupe on
 * eventId for the rare case a lease expires mid-delivery.
 */
export class OutboxRelay {
  private readonly engine: DeliveryEngine;
  private readonly store: OutboxStore;
  private readonly deliver: EventDeliverer;
  private readonly logger: Logger;

  constructor(options: OutboxRelayOptions) {
    this.engine = new DeliveryEngine(options);
    this.store = options.store;
    this.deliver = options.deliver;
    this.logger = options.logger;
  }

  /** One run over the due events: claim, deliver (bounded concurrency), record, until done or out of time. */
  async runOnce(options: RelayRunOptions = {}): Promise<RelayRunResult> {
    return this.engine.drain(this.deliver, options);
  }

  /** Puts a payment's DEAD events (or one of them) back in the queue: the operator's re-drive ({@link redriveEvents}). */
  async redrive(transactionId: string, eventId?: string): Promise<OutboxEvent[]> {
    return redriveEvents({ outbox: this.store, logger: this.logger }, { transactionId, eventId });
  }
}
