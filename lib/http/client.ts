import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  DelegateBackoff,
  ExponentialBackoff,
  fullJitterGenerator,
  handleWhen,
  type IBackoff,
  isBrokenCircuitError,
  retry,
  TimeoutStrategy,
  timeout,
  wrap,
} from 'cockatiel';
import { clientFaultFor } from '../shared/fault-injection.js';
import {
  DownstreamError,
  type InternalClient,
  type InternalRequest,
  type InternalResponse,
  internalHeaders,
  isDownstreamError,
  type TokenProvider,
} from '../shared/internal-client.js';
import { createLogger, logAction, type ServiceName } from '../shared/logger.js';
import {
  type BreakerOptions,
  type BreakerRegistry,
  type BreakerState,
  containerBreakers,
} from './breakers.js';
import { parseRetryAfter } from './retry-after.js';
import { BufferedAnswer, type HttpAnswer, type HttpRequestInit, httpRequest } from './transport.js';

/** Timeouts, retries and breaker of calls to one downstream service. */
export interface DownstreamPolicy {
  /** Total time of one attempt (connect, send, wait, read the body), in ms. */
  timeoutMs: number;
  /** Time to establish the TCP (and TLS) connection, in ms. */
  connectTimeoutMs: number;
  /** Attempts in all, the first included (only idempotent requests get more than one). */
  maxAttempts: number;
  /** Time for all attempts and the waits between them, in ms (the request's deadline may cut it shorter). */
  budgetMs: number;
  /** Capped exponential backoff with full jitter between attempts. */
  backoff: { initialDelayMs: number; maxDelayMs: number };
  breaker: BreakerOptions;
}

/** What the client reports, for metrics; logs are written anyway. */
export interface InternalClientHooks {
  onAttempt?(event: {
    service: ServiceName;
    attempt: number;
    durationMs: number;
    status?: number;
    code?: string;
    ok: boolean;
  }): void;
  onRetry?(event: { service: ServiceName; attempt: number; delayMs: number; code?: string }): void;
  onGiveUp?(event: { service: ServiceName; attempts: number; code?: string }): void;
  onBreakerStateChange?(event: { service: ServiceName; state: BreakerState }): void;
}

/** One attempt of a call, as a transport sends it: the request, its headers and body already made. */
export interface TransportCall {
  service: ServiceName;
  method: string;
  /** Path on the target service, e.g. `/orders/o-1/status`. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** The attempt's total timeout (and the call's deadline). */
  signal: AbortSignal;
  connectTimeoutMs: number;
}

/**
 * How an attempt reaches the target: over HTTP through API Gateway (the
 * default), or straight to the target's function (lib/http/lambda-invoke.ts).
 * It answers as HTTP would (status, headers, body) or rejects when no answer
 * came; the client's timeouts, retries and breaker are the same for all.
 */
export type InternalTransport = (call: TransportCall) => Promise<HttpAnswer>;

/** Options of {@link createInternalClient}. */
export interface InternalClientOptions {
  /** Base URL of each service (locally all are the offline URL); for the default HTTP transport. */
  baseUrls?: Record<ServiceName, string>;
  /** Instead of HTTP to `baseUrls`: e.g. the Lambda Invoke API ({@link InternalTransport}). */
  transport?: InternalTransport;
  /** Total timeout of one attempt, in ms (shorthand for `defaults.timeoutMs`). */
  timeoutMs?: number;
  tokenProvider?: TokenProvider;
  /** Instead of node:http (tests): fetch itself fits. */
  fetch?: (url: string, init: HttpRequestInit) => Promise<HttpAnswer>;
  /** Policy for every downstream, over the built-in defaults. */
  defaults?: Partial<DownstreamPolicy>;
  /** Policy per downstream, over `defaults`. */
  downstreams?: Partial<Record<ServiceName, Partial<DownstreamPolicy>>>;
  /** Where breakers live; the container-wide registry unless a test isolates its own. */
  breakers?: BreakerRegistry;
  logger?: Logger;
  hooks?: InternalClientHooks;
}

/** Built-in policy: sized for a 10 s Lambda calling a warm neighbour. */
export const DEFAULT_DOWNSTREAM_POLICY: DownstreamPolicy = {
  timeoutMs: 3000,
  connectTimeoutMs: 1000,
  maxAttempts: 3,
  budgetMs: 8000,
  backoff: { initialDelayMs: 100, maxDelayMs: 2000 },
  breaker: { threshold: 5, cooldownMs: 10_000 },
};

/** Below this much time left, an attempt is not worth starting. */
const MIN_ATTEMPT_MS = 50;

/** Statuses worth another attempt of the same request (Builders' Library: throttled or unavailable). */
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

/** Error codes, beyond HTTP_<status>, that another attempt may cure. */
const RETRYABLE_CODES = new Set(['NETWORK', 'TIMEOUT', 'LAMBDA_TIMEOUT']);

/**
 * The epoch ms by which a call made from this invocation must be over: the
 * function's remaining time minus a safety margin to log, write the outbox
 * state and answer. Pass it as `InternalRequest.deadline`.
 */
export function deadlineFromContext(
  context: { getRemainingTimeInMillis(): number },
  safetyMarginMs = 1000,
  now: number = Date.now(),
): number {
  return now + Math.max(0, context.getRemainingTimeInMillis() - safetyMarginMs);
}

/** The default transport: HTTP to each service's base URL (node:http, or an injected fetch that ignores connectTimeoutMs). */
function httpTransport(options: InternalClientOptions): InternalTransport {
  const { baseUrls } = options;
  if (!baseUrls) throw new TypeError('createInternalClient needs baseUrls or a transport');
  const doFetch = options.fetch ?? httpRequest;
  return ({ service, path, ...init }) => doFetch(`${baseUrls[service]}${path}`, init);
}

function policyFor(options: InternalClientOptions, service: ServiceName): DownstreamPolicy {
  const own = options.downstreams?.[service] ?? {};
  const defaults = options.defaults ?? {};
  return {
    ...DEFAULT_DOWNSTREAM_POLICY,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...defaults,
    ...own,
    backoff: { ...DEFAULT_DOWNSTREAM_POLICY.backoff, ...defaults.backoff, ...own.backoff },
    breaker: { ...DEFAULT_DOWNSTREAM_POLICY.breaker, ...defaults.breaker, ...own.breaker },
  };
}

/** Whether another attempt of the same request may succeed. */
function isRetryable(error: unknown): error is DownstreamError {
  if (!isDownstreamError(error) || !error.transient) return false;
  if (error.status !== undefined && RETRYABLE_STATUSES.has(error.status)) return true;
  return error.code !== undefined && RETRYABLE_CODES.has(error.code);
}

/** serverless-offline answers a Lambda timeout with HTTP 200 and this body. */
function isLambdaTimeout(status: number, body: unknown): boolean {
  return (
    status === 200 &&
    typeof body === 'object' &&
    body !== null &&
    (body as { errorType?: unknown }).errorType === 'LambdaTimeoutError'
  );
}

function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The one client for calls between services. Each attempt has a total timeout
 * (AbortController) and a connect timeout (node:http agent), never outliving the
 * request's deadline, which travels as `x-request-deadline`. Requests with an
 * idempotency key are retried on transient failures (network, timeout, 429,
 * 502, 503, 504, a Lambda timeout) with capped exponential backoff and full
 * jitter, within an attempt count and a time budget, honouring `Retry-After`.
 * A breaker per downstream fails fast while the downstream is down (with
 * `retryAfterMs` set to the rest of its cooldown, so the outbox waits for it).
 *
 * Results: 2xx and non-transient 4xx are returned (the caller decides: e.g. a
 * 409 stale transition is final); every other outcome throws a
 * {@link DownstreamError} whose `transient` says whether a later retry (the
 * outbox relay) may succeed. A 500 is transient but not retried within the
 * call: it is often a deterministic bug, so the relay's slower backoff and
 * dead-lettering fit it better than hammering.
 */
export function createInternalClient(options: InternalClientOptions): InternalClient {
  const transport = options.transport ?? httpTransport(options);
  const breakers = options.breakers ?? containerBreakers;
  const logger = options.logger ?? createLogger('payment');
  const hooks = options.hooks ?? {};
  // Clients are built once per container, so this subscription lives as long as the registry.
  breakers.onTransition((transition) => {
    logAction(logger, {
      action: 'http.breaker',
      outcome: transition.state === 'open' ? 'failed' : 'success',
      downstream: transition.service,
      breakerState: transition.state,
    });
    hooks.onBreakerStateChange?.(transition);
  });

  /** One attempt: fault injection, then fetch; throws DownstreamError on anything not an answer. */
  async function attemptOnce(
    request: InternalRequest,
    policy: DownstreamPolicy,
    attempt: number,
    signal: AbortSignal,
    end: number,
    token: string | undefined,
  ): Promise<{ status: number; body: unknown }> {
    const { service } = request;
    const started = Date.now();
    const attemptDeadline = Math.min(started + policy.timeoutMs, end);
    const fault = clientFaultFor(request.faults, service, attempt);
    // A failure while a fault applies is the fault's doing: it must not open the shared breaker.
    const injected = fault === undefined ? undefined : true;
    let status: number;
    let body: unknown;
    let retryAfter: string | null = null;
    try {
      if (fault?.kind === 'delay') await sleep(fault.ms, undefined, { signal });
      if (fault?.kind === 'network') throw new TypeError('fetch failed (injected network fault)');
      const response =
        fault?.kind === 'status'
          ? new BufferedAnswer(
              fault.status,
              { 'content-type': 'application/json' },
              JSON.stringify({ error: { code: 'FAULT_INJECTED' } }),
            )
          : await transport({
              service,
              method: request.method,
              path: request.path,
              headers: internalHeaders({ ...request, deadline: attemptDeadline }, token),
              body: request.body === undefined ? undefined : JSON.stringify(request.body),
              signal,
              connectTimeoutMs: policy.connectTimeoutMs,
            });
      status = response.status;
      retryAfter = response.headers.get('retry-after');
      body = parseBody(await response.text());
    } catch (error) {
      const timedOut = signal.aborted;
      const code = !timedOut ? 'NETWORK' : Date.now() >= end ? 'DEADLINE_EXCEEDED' : 'TIMEOUT';
      throw report(
        new DownstreamError(
          service,
          timedOut
            ? `${service} did not answer within ${Date.now() - started} ms`
            : `${service} unreachable: ${(error as Error).message}`,
          { transient: true, code, cause: error, injected },
        ),
      );
    }

    if (isLambdaTimeout(status, body)) {
      throw report(
        new DownstreamError(service, `${service} timed out inside its Lambda`, {
          transient: true,
          status,
          code: 'LAMBDA_TIMEOUT',
          injected,
        }),
      );
    }
    if (status >= 500 || status === 429) {
      throw report(
        new DownstreamError(service, `${service} answered ${status}`, {
          transient: true,
          status,
          code: `HTTP_${status}`,
          retryAfterMs: parseRetryAfter(retryAfter, Date.now()),
          injected,
        }),
      );
    }
    report(undefined, status);
    return { status, body };

    function report(error: DownstreamError | undefined, okStatus?: number): DownstreamError {
      const durationMs = Date.now() - started;
      const seenStatus = error?.status ?? okStatus;
      hooks.onAttempt?.({
        service,
        attempt,
        durationMs,
        status: seenStatus,
        code: error?.code,
        ok: !error,
      });
      // A first attempt that succeeds is the call itself: the http.call line
      // says it (one line per call instead of two); every other attempt has its own.
      if (error || attempt > 1) {
        logAction(logger, {
          action: 'http.attempt',
          outcome: error ? 'retrying' : (okStatus ?? 0) >= 400 ? 'refused' : 'success',
          downstream: service,
          attempt,
          status: seenStatus,
          code: error?.code,
          injected: error?.injected,
          durationMs,
          breakerState: breakers.state(service),
          correlation_id: request.correlationId,
          idempotencyKey: request.idempotencyKey,
          ...(error ? { error } : {}),
        });
      }
      return error as DownstreamError;
    }
  }

  return {
    async send(request: InternalRequest): Promise<InternalResponse> {
      const { service } = request;
      const policy = policyFor(options, service);
      const started = Date.now();
      const end = Math.min(started + policy.budgetMs, request.deadline ?? Number.POSITIVE_INFINITY);
      const fail = (error: DownstreamError, attempts: number): never => {
        hooks.onGiveUp?.({ service, attempts, code: error.code });
        logAction(logger, {
          action: 'http.call',
          // Failing fast is the breaker working as meant: a warning, not one error per call.
          outcome: error.code === 'BREAKER_OPEN' ? 'rejected' : 'failed',
          downstream: service,
          attempts,
          code: error.code,
          status: error.status,
          durationMs: Date.now() - started,
          breakerState: breakers.state(service),
          correlation_id: request.correlationId,
          idempotencyKey: request.idempotencyKey,
          error,
        });
        throw new DownstreamError(service, error.message, {
          transient: error.transient,
          status: error.status,
          code: error.code,
          retryAfterMs: error.retryAfterMs,
          attempts,
          injected: error.injected,
          cause: error,
        });
      };
      if (end - started < MIN_ATTEMPT_MS) {
        return fail(
          new DownstreamError(service, `No time left to call ${service}`, {
            transient: true,
            code: 'DEADLINE_EXCEEDED',
          }),
          0,
        );
      }

      let token: string | undefined;
      try {
        token = await options.tokenProvider?.(service);
      } catch (error) {
        return fail(
          new DownstreamError(service, `Could not mint a token for ${service}`, {
            transient: true,
            code: 'TOKEN_UNAVAILABLE',
            cause: error,
          }),
          0,
        );
      }

      // The retry decision is made here, in the error filter, because only here
      // do we know the error (its Retry-After) and the time left; the backoff
      // then replays the delay chosen.
      let attempts = 0;
      let nextDelayMs = 0;
      let jitter: IBackoff<unknown> | undefined;
      const exponential = new ExponentialBackoff({
        generator: fullJitterGenerator,
        initialDelay: policy.backoff.initialDelayMs,
        maxDelay: policy.backoff.maxDelayMs,
      });
      const shouldRetry = (error: Error): boolean => {
        if (!request.idempotencyKey || !isRetryable(error) || attempts >= policy.maxAttempts) {
          return false;
        }
        jitter = jitter ? jitter.next(undefined) : exponential.next();
        const delayMs = Math.max(jitter.duration, error.retryAfterMs ?? 0);
        if (Date.now() + delayMs + MIN_ATTEMPT_MS > end) return false;
        nextDelayMs = delayMs;
        return true;
      };
      const retries = retry(handleWhen(shouldRetry), {
        maxAttempts: policy.maxAttempts - 1,
        backoff: new DelegateBackoff(() => nextDelayMs),
      });
      retries.onRetry(({ attempt, delay }) => {
        hooks.onRetry?.({ service, attempt, delayMs: delay });
        logAction(logger, {
          action: 'http.retry',
          outcome: 'retrying',
          downstream: service,
          attempt: attempt + 1,
          delayMs: delay,
          correlation_id: request.correlationId,
          idempotencyKey: request.idempotencyKey,
        });
      });
      const policies = wrap(
        retries,
        breakers.get(service, policy.breaker),
        timeout(policy.timeoutMs, TimeoutStrategy.Cooperative),
      );

      const budget = AbortSignal.timeout(end - started);
      try {
        const { status, body } = await policies.execute(({ signal }) => {
          attempts += 1;
          return attemptOnce(request, policy, attempts, signal, end, token);
        }, budget);
        logAction(logger, {
          action: 'http.call',
          // An answer is not a success when it says no: a 4xx is returned to
          // the caller (which may park an effect on it), and says `refused`.
          outcome: status >= 400 ? 'refused' : 'success',
          // The callee logs the request itself: a plain success is a detail.
          detail: attempts === 1,
          downstream: service,
          status,
          attempts,
          durationMs: Date.now() - started,
          correlation_id: request.correlationId,
          idempotencyKey: request.idempotencyKey,
        });
        return { status, body, attempts };
      } catch (error) {
        if (isDownstreamError(error)) return fail(error, attempts);
        if (isBrokenCircuitError(error)) {
          return fail(
            new DownstreamError(service, `${service} circuit breaker is open: failing fast`, {
              transient: true,
              code: 'BREAKER_OPEN',
              // Tells the outbox when the breaker will let a probe through.
              retryAfterMs: breakers.retryAfterMs(service),
              cause: error,
            }),
            attempts,
          );
        }
        // A cockatiel cancellation (the budget ran out between policies) or a bug of ours.
        return fail(
          new DownstreamError(service, `${service} call failed: ${(error as Error).message}`, {
            transient: true,
            code: budget.aborted ? 'DEADLINE_EXCEEDED' : 'CLIENT_ERROR',
            cause: error,
          }),
          attempts,
        );
      }
    },
  };
}
