/**
 * Bench-only functions (declared by serverless.bench.mjs, never by
 * serverless.yml, so no stage deploys them): the cheapest possible chain of
 * three functions calling each other over the same HTTP API, the way the
 * payment fast path calls order and notification (both at once). Its throughput is the ceiling of the
 * local stack that `npm run bench` compares the payment flow with.
 */
import type { APIGatewayProxyResultV2 } from 'aws-lambda';

const baseUrl = process.env.SERVICE_BASE_URL ?? 'http://127.0.0.1:3000';
const timeoutMs = Number(process.env.DOWNSTREAM_TIMEOUT_MS ?? 3000);

const ok = (statusCode: number, body: unknown): APIGatewayProxyResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

async function call(path: string): Promise<number> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"hop":true}',
    signal: AbortSignal.timeout(timeoutMs),
  });
  await response.arrayBuffer();
  return response.status;
}

/** POST /__bench/chain: calls the second and third functions at once, like the payment fast path. */
export const front = async (): Promise<APIGatewayProxyResultV2> => {
  try {
    const [second, third] = await Promise.all([call('/__bench/second'), call('/__bench/third')]);
    return ok(201, { second, third });
  } catch (error) {
    return ok(502, { error: { code: 'BENCH_HOP_FAILED', message: String(error), details: [] } });
  }
};

/** POST /__bench/second and /__bench/third: answer at once. */
export const leaf = async (): Promise<APIGatewayProxyResultV2> => ok(200, { ok: true });
