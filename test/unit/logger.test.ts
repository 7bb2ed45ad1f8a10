import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { logAction } from '../../lib/shared/logger.js';
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
