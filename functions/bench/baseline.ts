/**
 * Bench-only: the smallest function this system could be, a DynamoDB
 * document client and a Powertools Logger built at init. `npm run bench`
 * compares every real function's bundle size and import+init time with this.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { dynamoFromEnv } from '../../lib/shared/dynamo.js';

const logger = new Logger({ serviceName: 'bench' });
const { doc } = dynamoFromEnv();

/** Answers with whether its clients were built. */
export const handler = async (): Promise<{ statusCode: number; body: string }> => {
  logger.debug('baseline invoked');
  return { statusCode: 200, body: JSON.stringify({ ready: Boolean(doc) }) };
};
