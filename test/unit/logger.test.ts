import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CompactLogFormatter, logAction } from '../../lib/shared/logger.js';
import { withLogLines } from '../support/output.js';

/** The JSON lines a Logger writes while `run` runs. */
async function linesOf(run: (logger: Logger) => void): Promise<Array<Record<string, unknown>>> {
  const logger = new Logger({ serviceName: 'payment', logLevel: 'INFO' });
  return (await withLogLines(() => run(logger))).lines;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Function: logAction', () => {
  it('writes no "error" field for a failure that has no error object', async () => {
    const [line] = await linesOf((logger) =>
      logAction(logger, { action: 'outbox.relay', outcome: 'failed', reason: 'lease-lost' }),
    );
    expect(line).toMatchObject({ level: 'ERROR', action: 'outbox.relay', outcome: 'failed' });
    expect(line).not.toHaveProperty('error');
  });

  it('writes the error with its name, message and stack when there is one', async () => {
    const [line] = await linesOf((logger) =>
      logAction(logger, {
        action: 'outbox.relay',
        outcome: 'failed',
        error: new TypeError('boom'),
      }),
    );
    expect(line?.error).toMatchObject({ name: 'TypeError', message: 'boom' });
    expect(String((line?.error as { stack?: string } | undefined)?.stack)).toContain(
      'TypeError: boom',
    );
  });

  it('writes no "error" field on a success, a rejection or a retry without an error', async () => {
    const lines = await linesOf((logger) => {
      logAction(logger, { action: 'a', outcome: 'success' });
      logAction(logger, { action: 'b', outcome: 'rejected' });
      logAction(logger, { action: 'c', outcome: 'retrying' });
    });
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).not.toHaveProperty('error');
  });
});

describe('Function: logAction, a detail', () => {
  it('writes a success that other lines tell at DEBUG, and anything else as usual', async () => {
    const debugLogger = () => new Logger({ serviceName: 'payment', logLevel: 'DEBUG' });
    const { lines } = await withLogLines(() => {
      const logger = debugLogger();
      logAction(logger, { action: 'http.call', outcome: 'success', detail: true });
      logAction(logger, { action: 'http.call', outcome: 'refused', detail: true });
      logAction(logger, { action: 'http.call', outcome: 'failed', detail: true });
      logAction(logger, { action: 'http.call', outcome: 'success' });
    });
    expect(lines.map((l) => [l.level, l.outcome])).toEqual([
      ['DEBUG', 'success'],
      ['WARN', 'refused'],
      ['ERROR', 'failed'],
      ['INFO', 'success'],
    ]);
    expect(lines[0]).not.toHaveProperty('detail');
    // At INFO (every deployed stage's default) the detail is not written at all.
    const info = await linesOf((logger) =>
      logAction(logger, { action: 'outbox.deliver', outcome: 'success', detail: true }),
    );
    expect(info).toEqual([]);
  });
});

describe('Class: CompactLogFormatter', () => {
  const context = {
    functionName: 'lambda-payments-prod-paymentCreate',
    invokedFunctionArn:
      'arn:aws:lambda:eu-west-1:123456789012:function:lambda-payments-prod-paymentCreate',
    memoryLimitInMB: '1024',
    awsRequestId: 'req-1',
  } as unknown as Context;

  it('keeps what the design asks of a line and drops what the template or the line already says', async () => {
    // As createLogger makes it, at INFO (the unit tests run with logs SILENT).
    const logger = new Logger({
      serviceName: 'payment',
      logLevel: 'INFO',
      logFormatter: new CompactLogFormatter(),
    });
    logger.addContext(context);
    const { lines } = await withLogLines(() => {
      logAction(logger, { action: 'payment.charge', outcome: 'success', transactionId: 't-1' });
      logger.warn('a line of no action');
    });
    const [action, plain] = lines;
    expect(action).toMatchObject({
      level: 'INFO',
      timestamp: expect.any(String),
      service: 'payment',
      cold_start: expect.any(Boolean),
      function_name: 'lambda-payments-prod-paymentCreate',
      function_request_id: 'req-1',
      action: 'payment.charge',
      outcome: 'success',
      transactionId: 't-1',
    });
    for (const dropped of ['function_arn', 'function_memory_size', 'sampling_rate', 'message'])
      expect(action).not.toHaveProperty(dropped);
    // A line that names no action keeps its message.
    expect(plain).toMatchObject({ level: 'WARN', message: 'a line of no action' });
    // The bytes it saves on a typical action line, against Powertools' own format.
    const full = new Logger({ serviceName: 'payment', logLevel: 'INFO' });
    full.addContext(context);
    const { lines: fullLines } = await withLogLines(() =>
      logAction(full, { action: 'payment.charge', outcome: 'success', transactionId: 't-1' }),
    );
    const bytes = (line: unknown) => JSON.stringify(line).length;
    expect(bytes(fullLines[0]) - bytes(action)).toBeGreaterThan(150);
  });
});
