import { createHmac, timingSafeEqual } from 'node:crypto';
import { isAppError, UnauthorizedError } from '../shared/errors.js';

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

/** Which check refused a signature: for our logs only, never for the caller. */
export type SignatureFailure = 'missing' | 'malformed' | 'stale' | 'mismatch';

/**
 * 401 INVALID_SIGNATURE. The answer is the same whichever check failed, so a
 * caller cannot probe them one at a time (is my timestamp in the window? is
 * my header well-formed?); `reason` says which, for the server's log.
 */
export class InvalidSignatureError extends UnauthorizedError {
  override name = 'InvalidSignatureError';
  readonly reason: SignatureFailure;

  constructor(reason: SignatureFailure) {
    super('Invalid gateway signature', 'INVALID_SIGNATURE');
    this.reason = reason;
  }
}

/** Type guard that survives two copies of this module in one bundle. */
export function isInvalidSignature(error: unknown): error is InvalidSignatureError {
  return (
    error instanceof InvalidSignatureError ||
    (isAppError(error) &&
      error.code === 'INVALID_SIGNATURE' &&
      typeof (error as Partial<InvalidSignatureError>).reason === 'string')
  );
}

/**
 * Verifies a gateway signature over the raw body, or throws
 * {@link InvalidSignatureError} (401 INVALID_SIGNATURE, one answer for every
 * reason): missing, malformed, outside the tolerance window, or a MAC that
 * differs (compared in constant time).
 */
export function verifyGatewaySignature(
  header: string | undefined,
  rawBody: string,
  options: { secret: string; now: Date; toleranceSeconds?: number },
): void {
  if (!header) throw new InvalidSignatureError('missing');
  const parts = new Map<string, string[]>();
  for (const item of header.split(',')) {
    const [key, value] = item.trim().split('=', 2);
    if (!key || !value) continue;
    parts.set(key, [...(parts.get(key) ?? []), value]);
  }
  const t = parts.get('t')?.[0];
  const signatures = parts.get('v1') ?? [];
  if (!t || !/^\d{1,12}$/.test(t) || signatures.length === 0)
    throw new InvalidSignatureError('malformed');
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(options.now.getTime() / 1000 - Number(t)) > tolerance)
    throw new InvalidSignatureError('stale');
  const expected = Buffer.from(
    createHmac('sha256', options.secret).update(`${t}.${rawBody}`).digest('hex'),
    'utf8',
  );
  const matches = signatures.some((candidate) => {
    const given = Buffer.from(candidate, 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw new InvalidSignatureError('mismatch');
}
