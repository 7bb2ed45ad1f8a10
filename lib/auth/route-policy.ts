import type { ServiceName } from '../shared/logger.js';

/** Who may call one internal route, and which service the token must be addressed to. */
export interface RoutePolicy {
  /** The `aud` a token must carry: the service that owns the route. */
  audience: ServiceName;
  /** The services whose tokens (and keys) this route accepts. */
  callers: readonly ServiceName[];
}

/**
 * The internal routes by API Gateway route key. Only payment calls order and
 * notification; a route missing here is refused, so a new internal route is
 * closed until someone decides who may call it.
 */
export const INTERNAL_ROUTES: Readonly<Record<string, RoutePolicy>> = {
  'PUT /orders/{orderId}/status': { audience: 'order', callers: ['payment'] },
  'PUT /orders/{orderId}/payment': { audience: 'order', callers: ['payment'] },
  'POST /orders/{orderId}/payment/release': { audience: 'order', callers: ['payment'] },
  'POST /notifications': { audience: 'notification', callers: ['payment'] },
};

/** Every service any internal route trusts: the keys the authorizer loads. */
export function trustedIssuers(routes: Readonly<Record<string, RoutePolicy>>): ServiceName[] {
  return [...new Set(Object.values(routes).flatMap((policy) => policy.callers))];
}
