import { createHmac, timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from '../shared/errors.js';

/** The header that carries the gateway's signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const SIGNATURE_HEADER = 'x-gateway-signature';

/** How far a signature's timestamp may be from now, in seconds (replay window). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** Signs `rawBody` the way the gateway does (Stripe style: HMAC of `<t>.<body>`). */
export function signGatewayPayload(
  rawBody: string,
  secret: string,
  timestampSeconds: number,
): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${rawBody}`).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

function invalid(reason: string): UnauthorizedError {
  // One code for every failure: the caller learns nothing about which check failed.
  return new UnauthorizedError(`Invalid gateway signature (${reason})`, 'INVALID_SIGNATURE');
}

/**
 * Verifies a gateway signature over the raw body, or throws 401
 * INVALID_SIGNATURE: missing, malformed, outside the tolerance window, or a
 * MAC that differs (compared in constant time).
 */
export function verifyGatewaySignature(
  header: string | undefined,
  rawBody: string,
  options: { secret: string; now: Date; toleranceSeconds?: number },
): void {
  if (!header) throw invalid('missing');
  const parts = new Map<string, string[]>();
  for (const item of header.split(',')) {
    const [key, value] = item.trim().split('=', 2);
    if (!key || !value) continue;
    parts.set(key, [...(parts.get(key) ?? []), value]);
  }
  const t = parts.get('t')?.[0];
  const signatures = parts.get('v1') ?? [];
  if (!t || !/^\d{1,12}$/.test(t) || signatures.length === 0) throw invalid('malformed');
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(options.now.getTime() / 1000 - Number(t)) > tolerance) throw invalid('stale');
  const expected = Buffer.from(
    createHmac('sha256', options.secret).update(`${t}.${rawBody}`).digest('hex'),
    'utf8',
  );
  const matches = signatures.some((candidate) => {
    const given = Buffer.from(candidate, 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw invalid('mismatch');
}
