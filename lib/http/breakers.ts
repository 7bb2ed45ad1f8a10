import {
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
} from 'cockatiel';
import { isDownstreamError } from '../shared/internal-client.js';
import type { ServiceName } from '../shared/logger.js';

/** How a downstream's breaker opens and recovers. */
export interface BreakerOptions {
  /** Consecutive transient failures that open the breaker. */
  threshold: number;
  /** How long it stays open before one half-open probe is let through, in ms. */
  cooldownMs: number;
}

/** A breaker state, as logs and metrics name it. */
export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';

/** One change of a downstream breaker's state. */
export interface BreakerTransition {
  service: ServiceName;
  state: BreakerState;
}

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

/**
 * Only transient failures (network, timeout, 5xx, 429, a Lambda timeout) say
 * the downstream is unhealthy; a 4xx is an answer, and never reaches here.
 * An injected fault belongs to one request: letting it open the breaker that
 * every request of the container shares would fail unrelated requests.
 */
const countsAsFailure = /* @__PURE__ */ handleWhen(
  (error) => isDownstreamError(error) && error.transient && !error.injected,
);

/**
 * One circuit breaker per downstream service. The state lives in this object,
 * so in the default registry it lives per Lambda container: each container
 * learns on its own that a downstream is down (see docs/guarantees.md, "Calls between
 * services"). The first options given for a service win.
 */
export class BreakerRegistry {
  private readonly breakers = new Map<ServiceName, CircuitBreakerPolicy>();
  private readonly openedAt = new Map<ServiceName, { at: number; cooldownMs: number }>();
  private readonly listeners = new Set<(transition: BreakerTransition) => void>();

  /** The breaker of `service`, created with `options` on first use. */
  get(service: ServiceName, options: BreakerOptions): CircuitBreakerPolicy {
    let breaker = this.breakers.get(service);
    if (!breaker) {
      breaker = circuitBreaker(countsAsFailure, {
        halfOpenAfter: options.cooldownMs,
        breaker: new ConsecutiveBreaker(options.threshold),
      });
      breaker.onStateChange((state) => {
        if (state === CircuitState.Open) {
          this.openedAt.set(service, { at: Date.now(), cooldownMs: options.cooldownMs });
        }
        for (const listener of this.listeners) listener({ service, state: STATE_NAMES[state] });
      });
      this.breakers.set(service, breaker);
    }
    return breaker;
  }

  /** The state of `service`'s breaker; closed when it was never used. */
  state(service: ServiceName): BreakerState {
    const breaker = this.breakers.get(service);
    return breaker ? STATE_NAMES[breaker.state] : 'closed';
  }

  /**
   * How long until an open breaker of `service` lets a probe through, in ms
   * (0 when it is not open): what a caller should wait before trying again.
   */
  retryAfterMs(service: ServiceName, now: number = Date.now()): number {
    const opened = this.openedAt.get(service);
    if (!opened || this.breakers.get(service)?.state !== CircuitState.Open) return 0;
    return Math.max(0, opened.at + opened.cooldownMs - now);
  }

  /** Calls `listener` on every state change of any breaker; returns the unsubscribe function. */
  onTransition(listener: (transition: BreakerTransition) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** The breakers of this container (module state survives between warm invocations). */
export const containerBreakers = /* @__PURE__ */ new BreakerRegistry();
