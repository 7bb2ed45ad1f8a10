#!/usr/bin/env node
// @ts-check
/**
 * `npm run redrive -- <transactionId> [eventId]`: puts a payment's DEAD outbox
 * events (or one of them) back to PENDING, through the relay function on the
 * local Lambda invoke API (LAMBDA_URL, default http://127.0.0.1:3002; STAGE,
 * default local). In AWS:
 *   npx sls invoke -f paymentRelay --stage dev --data '{"redrive":{"transactionId":"..."}}'
 */
const [transactionId, eventId] = process.argv.slice(2);
if (!transactionId) {
  console.error('usage: npm run redrive -- <transactionId> [eventId]');
  process.exit(2);
}
const lambdaUrl = process.env.LAMBDA_URL ?? `http://127.0.0.1:${process.env.LAMBDA_PORT ?? 3002}`;
const stage = process.env.STAGE ?? 'local';
const url = `${lambdaUrl}/2015-03-31/functions/lambda-payments-${stage}-paymentRelay/invocations`;
try {
  const response = await fetch(url, {
    method: 'POST',
    body: JSON.stringify({ redrive: { transactionId, ...(eventId ? { eventId } : {}) } }),
    signal: AbortSignal.timeout(30_000),
  });
  const result = await response.json();
  console.log(JSON.stringify(result, null, 2));
  process.exit(result.failed ? 1 : 0);
} catch (error) {
  console.error(`Could not reach the relay at ${url}: is \`npm start\` running? (${error})`);
  process.exit(1);
}
