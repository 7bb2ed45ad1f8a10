import type { Logger } from '@aws-lambda-powertools/logger';
import { RefreshingValue } from '../cache/refreshing-value.js';
import type { ParameterReader } from '../http/ssm.js';
import { ServiceUnavailableError } from '../shared/errors.js';
import { logAction } from '../shared/logger.js';

/** Environment variables that say where the gateway's callback secret is (read at the edge). */
export const WEBHOOK_SECRET_ENV = {
  /** AWS stages: the SecureString parameter that holds the secret, read at run time. */
  parameter: 'GATEWAY_WEBHOOK_SECRET_PARAMETER',
  /** Local and test stages only: the secret itself. */
  value: 'GATEWAY_WEBHOOK_SECRET',
} as const;

/** How long the secret read from SSM is used before it is read again (a rotation's lag). */
export const WEBHOOK_SECRET_CACHE_SECONDS = 300;

/** How long the gateway should wait before resending a callback we could not verify. */
const RETRY_AFTER_SECONDS = 30;

/**
 * 503: the callback secret is not available (the parameter is missing or
 * SSM cannot be read), so no callback can be verified. The gateway resends;
 * nothing is written. `source` names the parameter (or variable) for the log.
 */
export class WebhookSecretUnavailableError extends ServiceUnavailableError {
  override name = 'WebhookSecretUnavailableError';
  readonly source: string;

  constructor(source: string, options: { cause?: unknown } = {}) {
    super('CALLBACK_UNAVAILABLE', 'The callback cannot be verified right now; retry later', {
      ...options,
      headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
    });
    this.source = source;
  }
}

/** Answers the callback secret, or rejects with {@link WebhookSecretUnavailableError}. */
export type WebhookSecret = () => Promise<string>;

/**
 * The callback secret of paymentCallback, from its environment: when
 * GATEWAY_WEBHOOK_SECRET_PARAMETER is set, the SecureString of that name, read
 * through `readParameter` on first use and again every 5 minutes (a reload
 * that fails keeps the value it had); otherwise GATEWAY_WEBHOOK_SECRET, which
 * only the local and test stages set. A secret that is missing or empty is
 * logged at error, naming the parameter, on every callback it refuses.
 */
export function webhookSecretFromEnv(
  env: NodeJS.ProcessEnv,
  options: { readParameter: () => ParameterReader; logger: Logger; now?: () => number },
): WebhookSecret {
  const parameter = env[WEBHOOK_SECRET_ENV.parameter];
  const refuse = (source: string, why: string, cause?: unknown): never => {
    const error = new WebhookSecretUnavailableError(source, { cause });
    logAction(options.logger, {
      action: 'payment.callback.secret',
      outcome: 'failed',
      parameter: source,
      reason: why,
      error: cause ?? error,
    });
    throw error;
  };
  if (!parameter) {
    const value = env[WEBHOOK_SECRET_ENV.value];
    return async () =>
      value ||
      refuse(WEBHOOK_SECRET_ENV.value, `${WEBHOOK_SECRET_ENV.value} is not set in this stage`);
  }
  let reader: ParameterReader | undefined;
  const secret = new RefreshingValue({
    load: async () => {
      reader ??= options.readParameter();
      const value = await reader(parameter, { decrypt: true });
      if (!value) throw new MissingParameterError(parameter);
      return value;
    },
    maxAgeMs: WEBHOOK_SECRET_CACHE_SECONDS * 1000,
    minIntervalMs: 10_000,
    now: options.now,
    onError: (error, stale) => {
      if (stale) {
        logAction(options.logger, {
          action: 'payment.callback.secret',
          outcome: 'retrying',
          parameter,
          error,
        });
      }
    },
  });
  return async () => {
    try {
      return await secret.get();
    } catch (error) {
      return refuse(
        parameter,
        error instanceof MissingParameterError
          ? `SSM parameter ${parameter} is missing or empty: create it (SecureString)`
          : `SSM parameter ${parameter} could not be read`,
        error,
      );
    }
  };
}

class MissingParameterError extends Error {
  constructor(parameter: string) {
    super(`SSM parameter ${parameter} is missing or empty`);
    this.name = 'MissingParameterError';
  }
}
