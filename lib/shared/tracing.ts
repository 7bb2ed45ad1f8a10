import { randomBytes } from 'node:crypto';
import {
  getXrayTraceDataFromEnv,
  isRequestXRaySampled,
} from '@aws-lambda-powertools/commons/utils/env';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { MiddlewareObj } from '@middy/core';
import type { LoadedTracer } from './tracer-runtime.js';

/** Loads the Powertools Tracer (see tracer-runtime.ts); `coldStart` false after the container's first invocation. */
export type TracerLoader = (serviceName: string, coldStart: boolean) => Promise<LoadedTracer>;

/** Options of {@link LazyTracer}; the defaults are those of Lambda. */
export interface LazyTracerOptions {
  /** Whether X-Ray tracing applies at all; by default the Powertools Tracer's own rule. */
  enabled?: boolean;
  /** How the Tracer is loaded; by default a dynamic import of its own chunk. */
  load?: TracerLoader;
  /** Where a Tracer that fails to load is reported (the invocation goes on untraced). */
  logger?: Pick<Logger, 'warn'>;
}

/**
 * The Powertools Tracer's own rule (Tracer.setTracingEnabled): on in Lambda,
 * off under SAM local, Amplify mock, serverless-offline and the tests (no
 * AWS_EXECUTION_ENV), and whenever POWERTOOLS_TRACE_ENABLED is `false`.
 */
export function tracingEnabledByEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const executionEnv = env.AWS_EXECUTION_ENV ?? '';
  if ((env.POWERTOOLS_TRACE_ENABLED ?? '').toLowerCase() === 'false') return false;
  if (executionEnv === '' || executionEnv === 'AWS_Lambda_amplify-mock') return false;
  return (env.AWS_SAM_LOCAL ?? '') === '';
}

// Whether some tracer of this container is enabled, and whether the X-Ray SDK
// (which then marks every outgoing call itself) is loaded.
let propagateTraceHeader = false;
let xraySdkLoaded = false;

/**
 * The `X-Amzn-Trace-Id` header an outgoing call carries while the X-Ray SDK
 * is not loaded, as the SDK would set it (aws-xray-sdk-core's http patcher):
 * the invocation's trace root, a fresh parent id and its sampling decision,
 * so the callee joins the same trace and keeps the decision. Undefined where
 * tracing is off (locally), once the SDK is loaded (its own patch adds the
 * header, and skips a request that already has one), and for an invocation
 * whose trace header has no sampling decision (Lambda's pass-through mode).
 */
export function untracedCallTraceHeader(): string | undefined {
  if (!propagateTraceHeader || xraySdkLoaded) return undefined;
  const trace = getXrayTraceDataFromEnv();
  if (!trace?.Root || trace.Sampled === undefined) return undefined;
  const sampled = Number.parseInt(trace.Sampled, 10) ? '1' : '0';
  const parent = sampled === '1' && trace.Parent ? trace.Parent : randomBytes(8).toString('hex');
  return `Root=${trace.Root};Parent=${parent};Sampled=${sampled}`;
}

const importTracer: TracerLoader = async (serviceName, coldStart) =>
  (await import('./tracer-runtime.js')).loadTracer(serviceName, coldStart);

/**
 * The Powertools Tracer of a service, loaded on the first sampled invocation
 * rather than at import: X-Ray records only sampled requests, and the Tracer
 * with the X-Ray SDK is about a third of a function's bundle to compile at a
 * cold start. Until then an outgoing call carries the unsampled trace header
 * ({@link untracedCallTraceHeader}); from then on the Tracer does everything
 * it did before (handler subsegment, outgoing calls, annotations), for every
 * invocation of the container.
 */
export class LazyTracer {
  /** Whether X-Ray tracing applies (in Lambda); off, nothing is ever loaded. */
  readonly enabled: boolean;
  readonly #serviceName: string;
  readonly #load: TracerLoader;
  readonly #logger?: Pick<Logger, 'warn'>;
  #loading?: Promise<LoadedTracer | undefined>;
  #loaded?: LoadedTracer;
  #invocations = 0;
  readonly #traced = new WeakSet<object>();

  constructor(serviceName: string, options: LazyTracerOptions = {}) {
    this.#serviceName = serviceName;
    this.enabled = options.enabled ?? tracingEnabledByEnv();
    this.#load = options.load ?? importTracer;
    this.#logger = options.logger;
    if (this.enabled) propagateTraceHeader = true;
  }

  /** The Powertools Tracer once loaded, else undefined. */
  get tracer(): Tracer | undefined {
    return this.#loaded?.tracer;
  }

  /**
   * Starts an invocation: loads the Tracer if this one is sampled (X-Ray
   * header `Sampled=1`) and it is not loaded yet. Resolves to the loaded
   * Tracer, or undefined when none is (tracing off, or nothing sampled yet).
   */
  async startInvocation(): Promise<LoadedTracer | undefined> {
    this.#invocations += 1;
    if (!this.enabled) return undefined;
    if (this.#loaded || this.#loading) return this.#loading;
    if (!isRequestXRaySampled()) return undefined;
    this.#loading = this.#load(this.#serviceName, this.#invocations === 1).then(
      (loaded) => {
        this.#loaded = loaded;
        xraySdkLoaded = true;
        return loaded;
      },
      (error: unknown) => {
        this.#logger?.warn('The X-Ray tracer could not be loaded: this container runs untraced', {
          error,
        });
        return undefined;
      },
    );
    return this.#loading;
  }

  /** Puts each id on the current X-Ray (sub)segment as an annotation, once the Tracer is loaded. */
  annotate(ids: Record<string, string | number>): void {
    const tracer = this.#loaded?.tracer;
    if (!tracer?.isTracingEnabled()) return;
    for (const [key, value] of Object.entries(ids)) tracer.putAnnotation(key, String(value));
  }

  /**
   * The Powertools handler middleware (captureLambdaHandler: the handler's
   * subsegment, ColdStart and Service annotations, the error as metadata;
   * the response is not captured), for the invocations that have the Tracer.
   */
  middleware<TEvent, TResult>(): MiddlewareObj<TEvent, TResult> {
    return {
      before: async (request) => {
        const loaded = await this.startInvocation();
        if (!loaded) return;
        this.#traced.add(request);
        await loaded.middleware.before(request as never);
      },
      after: async (request) => {
        if (this.#traced.has(request)) await this.#loaded?.middleware.after(request as never);
      },
      onError: async (request) => {
        if (this.#traced.has(request)) await this.#loaded?.middleware.onError(request as never);
      },
    };
  }
}
