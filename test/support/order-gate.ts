import type { HoldAnswer, OrderGate } from '../../lib/payment/order-gate.js';

/** An order service that lets every payment hold its order, recording the holds and releases it was asked for. */
export function welcomingOrders(answer?: () => HoldAnswer): OrderGate & {
  holds: string[];
  releases: string[];
} {
  const holds: string[] = [];
  const releases: string[] = [];
  return {
    holds,
    releases,
    async hold(request) {
      holds.push(request.transactionId);
      return answer?.() ?? { kind: 'held', orderStatus: 'PENDING', acquired: true };
    },
    async release(request) {
      releases.push(request.transactionId);
    },
  };
}
