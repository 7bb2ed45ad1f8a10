// @ts-check
/**
 * A counting proxy in front of DynamoDB: every request the services send is
 * forwarded unchanged and counted by operation (the `X-Amz-Target` header) and
 * by table (from the JSON body). Pointing DYNAMODB_ENDPOINT at it measures how
 * many DynamoDB requests a flow really makes, SDK retries included, without a
 * line of code in the services.
 */
import http from 'node:http';

/**
 * @typedef {{
 *   total: number,
 *   byOperation: Record<string, number>,
 *   byTable: Record<string, number>,
 *   requests: { operation: string, tables: string[], itemPk?: string }[],
 * }} Counts
 */

/**
 * The tables a request touches, from its body (TransactWriteItems and
 * BatchWriteItem name several).
 * @param {string} operation
 * @param {any} body
 * @returns {string[]}
 */
export function tablesOf(operation, body) {
  if (!body || typeof body !== 'object') return [];
  if (typeof body.TableName === 'string') return [body.TableName];
  if (Array.isArray(body.TransactItems)) {
    const names = body.TransactItems.map(
      (/** @type {any} */ item) => Object.values(item ?? {})[0]?.TableName,
    ).filter((/** @type {unknown} */ n) => typeof n === 'string');
    return [...new Set(/** @type {string[]} */ (names))];
  }
  if (body.RequestItems && typeof body.RequestItems === 'object')
    return Object.keys(body.RequestItems);
  void operation;
  return [];
}

/** A fresh, empty tally. @returns {Counts} */
export function emptyCounts() {
  return { total: 0, byOperation: {}, byTable: {}, requests: [] };
}

/**
 * Adds one request to `counts`.
 * @param {Counts} counts
 * @param {string | undefined} target the X-Amz-Target header, e.g. DynamoDB_20120810.PutItem
 * @param {string} rawBody
 */
export function countRequest(counts, target, rawBody) {
  const operation = (target ?? 'unknown').split('.').pop() ?? 'unknown';
  let body;
  try {
    body = JSON.parse(rawBody);
  } catch {
    body = undefined;
  }
  const tables = tablesOf(operation, body);
  counts.total++;
  counts.byOperation[operation] = (counts.byOperation[operation] ?? 0) + 1;
  for (const table of tables) {
    counts.byTable[table] = (counts.byTable[table] ?? 0) + 1;
  }
  // The partition key of a single-item write, so a caller can tell whose item it is.
  const itemPk = body?.Item?.pk?.S;
  counts.requests.push({ operation, tables, ...(typeof itemPk === 'string' ? { itemPk } : {}) });
}

/**
 * Starts the proxy on a free port of 127.0.0.1, forwarding to `upstream`.
 * @param {string} upstream e.g. http://127.0.0.1:8000
 */
export async function startDynamoCounter(upstream) {
  const target = new URL(upstream);
  let counts = emptyCounts();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const amzTarget = req.headers['x-amz-target'];
      countRequest(
        counts,
        Array.isArray(amzTarget) ? amzTarget[0] : amzTarget,
        body.toString('utf8'),
      );
      const forward = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
          agent,
        },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
        },
      );
      forward.on('error', (error) => {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`dynamo counter: ${error.message}`);
      });
      forward.end(body);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    /** What was counted since the last reset. */
    counts: () => structuredClone(counts),
    /** Starts counting from zero. */
    reset: () => {
      counts = emptyCounts();
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
      agent.destroy();
    },
  };
}
