/**
 * Bench-only functions (declared by serverless.bench.mjs, never by
 * serverless.yml, so no stage deploys them): the cheapest possible chain of
 * three functions calling each other the way the payment fast path calls
 * order and notification (both at once): through the Lambda Invoke API where
 * the stack has one (`LAMBDA_ENDPOINT`, serverless-offline's invoke port, as
 * lib/http/lambda-invoke.ts uses; unsigned: the ceiling skips the SigV4 work
 * the payment service does), over the HTTP API otherwise. Its throughput is
 * the ceiling of the local stack that `npm run bench` compares the payment
 * flow with.
 */
import type { APIGatewayProxyResultV2 } from 'aws-lambda';

const baseUrl = process.env.SERVICE_BASE_URL ?? 'http://127.0.0.1:3000';
const lambdaEndpoint = process.env.LAMBDA_ENDPOINT;
const timeoutMs = Number(process.env.DOWNSTREAM_TIMEOUT_MS ?? 3000);

const ok = (statusCode: number, body: unknown): APIGatewayProxyResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** A sibling's function name: this one's, with its own key replaced (`<service>-<stage>-<key>`). */
function sibling(key: string): string {
  return (process.env.AWS_LAMBDA_FUNCTION_NAME ?? '').replace(/[^-]+$/, key);
}

async function call(path: string, key: string): Promise<number> {
  const body = '{"hop":true}';
  if (lambdaEndpoint) {
    const response = await fetch(
      `${lambdaEndpoint}/2015-03-31/functions/${encodeURIComponent(sibling(key))}/invocations`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ version: '2.0', rawPath: path, body, headers: {} }),
        signal: AbortSignal.timeout(timeoutMs),
      },
    );
    const result = (await response.json()) as { statusCode?: number };
    return response.ok ? (result.statusCode ?? 500) : response.status;
  }
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  await response.arrayBuffer();
  return response.status;
}

/** POST /__bench/chain: calls the second and third functions at once, like the payment fast path. */
export const front = async (): Promise<APIGatewayProxyResultV2> => {
  try {
    const [second, third] = await Promise.all([
      call('/__bench/second', 'benchChainSecond'),
      call('/__bench/third', 'benchChainThird'),
    ]);
    return ok(201, { second, third });
  } catch (error) {
    return ok(502, { error: { code: 'BENCH_HOP_FAILED', message: String(error), details: [] } });
  }
};

/** POST /__bench/second and /__bench/third: answer at once. */
export const leaf = async (): Promise<APIGatewayProxyResultV2> => ok(200, { ok: true });
