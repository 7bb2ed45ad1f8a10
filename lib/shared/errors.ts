/** One field-level problem reported in an error's `details`. */
export interface ErrorDetail {
  field?: string;
  issue: string;
  [key: string]: unknown;
}

/** Options shared by every application error. */
export interface AppErrorOptions {
  details?: ErrorDetail[];
  cause?: unknown;
  /** Headers to add to the HTTP response (e.g. Retry-After). */
  headers?: Record<string, string>;
  /** Whether the message is safe to show a client. Defaults to true for 4xx. */
  expose?: boolean;
}

/**
 * Base class of every error this system raises on purpose. It knows its HTTP
 * status and a stable machine-readable code; `cause` keeps the original error.
 */
export class AppError extends Error {
  // Each class names itself: minified bundles rename classes (no keepNames, see serverless.yml).
  override name = 'AppError';
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[];
  readonly headers: Record<string, string>;
  readonly expose: boolean;

  constructor(status: number, code: string, message: string, options: AppErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.status = status;
    this.code = code;
    this.details = options.details ?? [];
    this.headers = options.headers ?? {};
    this.expose = options.expose ?? status < 500;
  }
}

/** Type guard that survives two copies of this module in one bundle. */
export function isAppError(error: unknown): error is AppError {
  return (
    error instanceof AppError ||
    (error instanceof Error &&
      typeof (error as Partial<AppError>).status === 'number' &&
      typeof (error as Partial<AppError>).code === 'string')
  );
}

/** 400: the input is malformed; `details` names each bad field. */
export class ValidationError extends AppError {
  override name = 'ValidationError';
  constructor(message: string, details: ErrorDetail[] = [], options: AppErrorOptions = {}) {
    super(400, 'VALIDATION_FAILED', message, { ...options, details });
  }
}

/** 400 with a specific code, for malformed requests that are not field errors. */
export class BadRequestError extends AppError {
  override name = 'BadRequestError';
  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(400, code, message, options);
  }
}

/** 401: no or invalid credentials. */
export class UnauthorizedError extends AppError {
  override name = 'UnauthorizedError';
  constructor(
    message = 'Authentication required',
    code = 'UNAUTHORIZED',
    options: AppErrorOptions = {},
  ) {
    super(401, code, message, options);
  }
}

/** 403: authenticated, but not allowed to do this. */
export class ForbiddenError extends AppError {
  override name = 'ForbiddenError';
  constructor(message = 'Not allowed', code = 'FORBIDDEN', options: AppErrorOptions = {}) {
    super(403, code, message, options);
  }
}

/** 404: the thing does not exist. */
export class NotFoundError extends AppError {
  override name = 'NotFoundError';
  constructor(message: string, code = 'NOT_FOUND', options: AppErrorOptions = {}) {
    super(404, code, message, options);
  }
}

/** 409: the request conflicts with the current state. */
export class ConflictError extends AppError {
  override name = 'ConflictError';
  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(409, code, message, options);
  }
}

/** 413: the body is larger than this endpoint accepts. */
export class PayloadTooLargeError extends AppError {
  override name = 'PayloadTooLargeError';
  constructor(limitBytes: number) {
    super(413, 'PAYLOAD_TOO_LARGE', `The request body exceeds ${limitBytes} bytes`);
  }
}

/** 415: the body is not JSON. */
export class UnsupportedMediaTypeError extends AppError {
  override name = 'UnsupportedMediaTypeError';
  constructor(received: string | undefined) {
    super(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `Content-Type must be application/json${received ? `, got ${received}` : ''}`,
    );
  }
}

/** 422: well-formed, but cannot be processed (e.g. idempotency key reused with another payload). */
export class UnprocessableError extends AppError {
  override name = 'UnprocessableError';
  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(422, code, message, options);
  }
}

/** 503: a dependency is unavailable; the client may retry later. */
export class ServiceUnavailableError extends AppError {
  override name = 'ServiceUnavailableError';
  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(503, code, message, { expose: true, ...options });
  }
}

/** SDK error names of a DynamoDB (or any AWS service) that is busy or away for a while. */
const UNAVAILABLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ThrottlingException',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'TransactionInProgressException',
]);

/** Socket-level codes of a store that cannot be reached. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
]);

/**
 * True when `error` (or one of its causes) says a store is unreachable, busy
 * or failing on its side: trouble that passes, answered 503 + Retry-After
 * rather than 500 (Powertools wraps the idempotency table's errors, so the
 * cause chain is walked).
 */
export function isStoreUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const e = current as Error & {
      code?: unknown;
      $fault?: unknown;
      $metadata?: unknown;
      $retryable?: unknown;
    };
    if (UNAVAILABLE_NAMES.has(e.name)) return true;
    if (typeof e.code === 'string' && UNREACHABLE_CODES.has(e.code)) return true;
    if (e.$metadata !== undefined && (e.$fault === 'server' || e.$retryable !== undefined)) {
      return true;
    }
    current = e.cause;
  }
  return false;
}

/** 503 STORE_UNAVAILABLE for an outage of our own store that no adapter named: the client may retry. */
export function storeUnavailable(cause: unknown): ServiceUnavailableError {
  return new ServiceUnavailableError(
    'STORE_UNAVAILABLE',
    'The service cannot reach its store right now; nothing was lost. Retry later',
    { cause, headers: { 'Retry-After': '1' } },
  );
}

/**
 * True for the error middy raises when the function's time runs out before
 * the handler answered (`timeoutEarlyResponse`): the work may have been half
 * done, so it is not a store outage and "nothing was lost" would be untrue.
 */
export function isHandlerTimeout(error: unknown): boolean {
  const cause = (error as { cause?: { package?: unknown } } | undefined)?.cause;
  return (
    error instanceof Error && error.name === 'TimeoutError' && cause?.package === '@middy/core'
  );
}

/** The default message of {@link outcomeUnknown}. */
export const OUTCOME_UNKNOWN_MESSAGE =
  'The request ran out of time before its outcome was known; it may still have taken effect. Repeat it (it is safe to repeat) or read the resource back';

/** 503 OUTCOME_UNKNOWN: the function's deadline came before the answer; `message` says how to learn the outcome. */
export function outcomeUnknown(
  cause: unknown,
  message = OUTCOME_UNKNOWN_MESSAGE,
): ServiceUnavailableError {
  return new ServiceUnavailableError('OUTCOME_UNKNOWN', message, {
    cause,
    headers: { 'Retry-After': '1' },
  });
}
