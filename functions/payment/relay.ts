import { createLogger } from '../../lib/shared/logger.js';

const logger = createLogger('payment');

/** Scheduled outbox relay: re-delivers pending outbox events (placeholder until its issue lands). */
export const handler = async (): Promise<{ delivered: number; failed: number; dead: number }> => {
  logger.info('Outbox relay is not implemented yet', {
    action: 'outbox.relay',
    outcome: 'skipped',
  });
  return { delivered: 0, failed: 0, dead: 0 };
};
