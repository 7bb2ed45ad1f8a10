import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { headerRecorder } from '../support/header-recorder.js';
import { fakeContext, httpEvent } from '../support/lambda.js';

const ROOT = '1-67891233-abcdef012345678912345678';
const traceHeader = (sampled: 0 | 1) => `Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=${sampled}`;

// The Tracer's chunk, replaced by a fake that records what the handler middleware and tag() do.
const loads: { serviceName: string; coldStart: boolean }[] = [];
const calls: string[] = [];
vi.mock('../../lib/shared/tracer-runtime.js', () => ({
  loadTracer: (serviceName: string, coldStart: boolean) => {
    loads.push({ serviceName, coldStart });
    return {
      tracer: {
        isTracingEnabled: () => true,
        putAnnotation: (key: string, value: string) => calls.push(`annotation ${key}=${value}`),
      },
      middleware: {
        before: () => void calls.push('before'),
        after: () => void calls.push('after'),
        onError: () => void calls.push('onError'),
      },
    };
  },
}));

/** Headers of each request a local server recorder.received. */
const recorder = headerRecorder();

const saved = { ...process.env };
beforeEach(() => {
  vi.resetModules();
  loads.length = 0;
  calls.length = 0;
  recorder.received.length = 0;
});
afterEach(() => {
  process.env = { ...saved };
});

/** A fresh container: the modules loaded anew with `env`, one traced route that tags and calls out. */
async function container(env: Record<string, string>) {
  Object.assign(process.env, env);
  const { createObservability } = await import('../../lib/shared/observability.js');
  const { httpHandler } = await import('../../lib/shared/middleware/http-handler.js');
  const { httpRequest } = await import('../../lib/http/transport.js');
  const { json } = await import('../../lib/shared/http.js');
  const observability = createObservability('order');
  const handler = httpHandler({ observability }, async () => {
    observability.tag({ orderId: 'o-1', userId: undefined });
    await (await httpRequest(recorder.url)).text();
    return json(200, {});
  });
  /** One invocation with the Lambda trace header `trace` (none: unset). */
  const invoke = async (trace?: string) => {
    if (trace) process.env._X_AMZN_TRACE_ID = trace;
    else delete process.env._X_AMZN_TRACE_ID;
    return handler(httpEvent({}), fakeContext());
  };
  return { invoke, observability };
}

const LAMBDA = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x' };

describe('Class: LazyTracer', () => {
  it('loads no tracer for an unsampled invocation, and passes its trace header on as unsampled', async () => {
    const { invoke, observability } = await container(LAMBDA);
    expect(await invoke(traceHeader(0))).toMatchObject({ statusCode: 200 });
    expect(loads).toEqual([]);
    expect(calls).toEqual([]);
    expect(observability.tracer.tracer).toBeUndefined();
    // As the X-Ray SDK's patch of node:http set it: same root, a fresh parent, Sampled=0.
    expect(recorder.received[0]?.['x-amzn-trace-id']).toMatch(
      new RegExp(`^Root=${ROOT};Parent=[0-9a-f]{16};Sampled=0$`),
    );
    expect(recorder.received[0]?.['x-amzn-trace-id']).not.toContain('53995c3f42cd8ad8');
  });

  it('loads the tracer on the first sampled invocation: handler subsegment and business ids as annotations', async () => {
    const { invoke } = await container(LAMBDA);
    await invoke(traceHeader(1));
    expect(loads).toEqual([{ serviceName: 'order', coldStart: true }]);
    expect(calls).toEqual(['before', 'annotation orderId=o-1', 'after']);
    // From now on the X-Ray SDK's own patch marks outgoing calls: the transport adds nothing.
    expect(recorder.received[0]?.['x-amzn-trace-id']).toBeUndefined();
  });

  it('keeps the loaded tracer for every later invocation, sampled or not, and loads it once', async () => {
    const { invoke } = await container(LAMBDA);
    await invoke(traceHeader(0));
    await invoke(traceHeader(1));
    await invoke(traceHeader(0));
    // Loaded on the second invocation of the container: not its cold start.
    expect(loads).toEqual([{ serviceName: 'order', coldStart: false }]);
    expect(calls.filter((c) => c === 'before')).toHaveLength(2);
    expect(recorder.received.map((h) => h['x-amzn-trace-id'] !== undefined)).toEqual([
      true,
      false,
      false,
    ]);
  });

  it('records the error of a failed sampled invocation', async () => {
    Object.assign(process.env, LAMBDA);
    const { createObservability } = await import('../../lib/shared/observability.js');
    const { httpHandler } = await import('../../lib/shared/middleware/http-handler.js');
    const observability = createObservability('order');
    const handler = httpHandler({ observability }, async () => {
      throw new Error('boom');
    });
    process.env._X_AMZN_TRACE_ID = traceHeader(1);
    // The error handler maps it to a 500; the tracer's middleware saw it first.
    expect(await handler(httpEvent({}), fakeContext())).toMatchObject({ statusCode: 500 });
    expect(calls[0]).toBe('before');
  });

  it.each([
    ['outside Lambda (serverless-offline, tests)', {}],
    ['with POWERTOOLS_TRACE_ENABLED=false', { ...LAMBDA, POWERTOOLS_TRACE_ENABLED: 'false' }],
    ['under SAM local', { ...LAMBDA, AWS_SAM_LOCAL: 'true' }],
  ])('stays quiet %s: nothing loaded, no header added', async (_, env) => {
    delete process.env.AWS_EXECUTION_ENV;
    const { invoke } = await container(env);
    await invoke(traceHeader(1));
    expect(loads).toEqual([]);
    expect(recorder.received[0]?.['x-amzn-trace-id']).toBeUndefined();
  });

  it("adds no header when Lambda's trace header has no sampling decision (pass-through)", async () => {
    const { invoke } = await container(LAMBDA);
    await invoke(`Root=${ROOT}`);
    await invoke();
    expect(loads).toEqual([]);
    expect(recorder.received.map((h) => h['x-amzn-trace-id'])).toEqual([undefined, undefined]);
  });

  it('goes on untraced when the tracer cannot be loaded', async () => {
    const { LazyTracer } = await import('../../lib/shared/tracing.js');
    const warn = vi.fn();
    process.env._X_AMZN_TRACE_ID = traceHeader(1);
    const tracer = new LazyTracer('order', {
      enabled: true,
      logger: { warn },
      load: () => Promise.reject(new Error('Cannot find module')),
    });
    await expect(tracer.startInvocation()).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledOnce();
    expect(tracer.tracer).toBeUndefined();
  });
});
