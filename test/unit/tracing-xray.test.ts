import { beforeAll, describe, expect, it } from 'vitest';
import { headerRecorder } from '../support/header-recorder.js';
import { fakeContext, httpEvent } from '../support/lambda.js';

// The real Powertools Tracer and X-Ray SDK, as in Lambda (its own file: the
// SDK patches node:http for the rest of the process). Segments go to a
// daemon address where nothing listens (UDP, dropped).
const ROOT = '1-67891233-abcdef012345678912345678';

const recorder = headerRecorder();
beforeAll(() => {
  Object.assign(process.env, {
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    LAMBDA_TASK_ROOT: '/var/task',
    _HANDLER: 'functions/order/get.handler',
    AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:9',
  });
});

describe('Class: LazyTracer with the Powertools Tracer', () => {
  it('traces a sampled invocation: handler subsegment with the business ids, and the outgoing call as its child', async () => {
    const { createObservability } = await import('../../lib/shared/observability.js');
    const { httpHandler } = await import('../../lib/shared/middleware/http-handler.js');
    const { httpRequest } = await import('../../lib/http/transport.js');
    const { json } = await import('../../lib/shared/http.js');
    const observability = createObservability('order');
    let seen: { name?: string; id?: string; annotations?: Record<string, unknown> } = {};
    const handler = httpHandler({ observability }, async () => {
      observability.tag({ orderId: 'o-1', transactionId: 't-1' });
      seen = observability.tracer.tracer?.getSegment() as typeof seen;
      await (await httpRequest(recorder.url)).text();
      return json(200, {});
    });

    process.env._X_AMZN_TRACE_ID = `Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=0`;
    await handler(httpEvent({}), fakeContext());
    expect(observability.tracer.tracer).toBeUndefined();

    process.env._X_AMZN_TRACE_ID = `Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=1`;
    expect(await handler(httpEvent({}), fakeContext())).toMatchObject({ statusCode: 200 });
    expect(observability.tracer.tracer?.constructor.name).toBe('ServiceTracer');
    expect(seen.name).toBe('## functions/order/get.handler');
    expect(seen.annotations).toMatchObject({
      orderId: 'o-1',
      transactionId: 't-1',
      Service: 'order',
      ColdStart: false,
    });
    // The unsampled call (our transport) and the sampled one (the X-Ray SDK's patch).
    expect(recorder.received[0]?.['x-amzn-trace-id']).toMatch(
      new RegExp(`^Root=${ROOT};Parent=[0-9a-f]{16};Sampled=0$`),
    );
    expect(recorder.received[1]?.['x-amzn-trace-id']).toMatch(
      new RegExp(`^Root=${ROOT};Parent=[0-9a-f]{16};Sampled=1$`),
    );
  });
});
