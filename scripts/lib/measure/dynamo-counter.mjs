// @ts-check
/**
 * A counting proxy in front of DynamoDB: every request the services send is
 * forwarded unchanged and counted by operation (the `X-Amz-Target` header) and
 * by table (from the JSON body). Pointing DYNAMODB_ENDPOINT at it measures how
 * many DynamoDB requests a flow really makes, SDK retries included, without a
 * line of code in the services.
 */
import http from 'node:http';
import { chargeWrite, emptyWriteUnits, writesOf } from './write-units.mjs';

/** Reads whose capacity DynamoDB reports when asked (`ReturnConsumedCapacity`). */
const READ_OPERATIONS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);

/**
 * @typedef {{ units: number, byTable: Record<string, number>, byIndex: Record<string, number> }} ReadUnits
 * @returns {ReadUnits}
 */
export function emptyReadUnits() {
  return { units: 0, byTable: {}, byIndex: {} };
}

/**
 * Adds what one read consumed, as DynamoDB reported it (`ConsumedCapacity`,
 * one entry or one per table), to `into`: a table's own units under its
 * name, an index's under `<table>/<index>`.
 * @param {any} consumed @param {ReadUnits} into @param {(table: string) => string} [label]
 */
export function chargeRead(consumed, into, label = (t) => t) {
  for (const entry of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
    const table = label(String(entry.TableName));
    const total = Number(entry.CapacityUnits ?? entry.ReadCapacityUnits ?? 0);
    into.units += total;
    const own = entry.Table?.CapacityUnits ?? entry.Table?.ReadCapacityUnits;
    const indexes = { ...entry.GlobalSecondaryIndexes, ...entry.LocalSecondaryIndexes };
    const indexTotal = Object.values(indexes).reduce(
      (n, /** @type {any} */ i) => n + Number(i.CapacityUnits ?? i.ReadCapacityUnits ?? 0),
      0,
    );
    into.byTable[table] = (into.byTable[table] ?? 0) + Number(own ?? total - indexTotal);
    for (const [name, i] of Object.entries(indexes)) {
      const key = `${table}/${name}`;
      into.byIndex[key] =
        (into.byIndex[key] ?? 0) + Number(/** @type {any} */ (i).CapacityUnits ?? 0);
    }
  }
}

const WRITE_OPERATIONS = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'TransactWriteItems',
  'BatchWriteItem',
]);

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
 * With `schemas` (scripts/lib/measure/write-units.mjs schemasOf), it also meters the
 * write units of every write: it reads each item before and after the write
 * (reads of its own, not counted) and serialises the writes meanwhile, so
 * that no two writes' before/after overlap.
 * @param {string} upstream e.g. http://127.0.0.1:8000
 * @param {{ schemas?: Record<string, import('./write-units.mjs').TableSchema>,
 *   label?: (table: string, key: Record<string, any>) => string,
 *   onWrite?: (write: { operation: string, table: string, key: Record<string, any>,
 *     transactional: boolean, refused: boolean, units: number }) => void }} [options]
 *   `label`: the name a write is counted under (default its table), e.g. to tell a
 *   simulator's items from ours in a shared table; `onWrite`: each metered item
 *   write with the units it cost (base table and indexes)
 */
export async function startDynamoCounter(upstream, options = {}) {
  const target = new URL(upstream);
  let counts = emptyCounts();
  let units = emptyWriteUnits();
  let reads = emptyReadUnits();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  /** One request upstream, answered in full. @returns {Promise<{ status: number, headers: http.IncomingHttpHeaders, body: Buffer }>} */
  const send = (
    /** @type {http.IncomingHttpHeaders} */ headers,
    /** @type {string | undefined} */ path,
    /** @type {Buffer} */ body,
  ) =>
    new Promise((resolve, reject) => {
      const forward = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: 'POST',
          path,
          headers: { ...headers, 'content-length': String(body.length) },
          agent,
        },
        (upstreamRes) => {
          /** @type {Buffer[]} */
          const parts = [];
          upstreamRes.on('data', (c) => parts.push(c));
          upstreamRes.on('end', () =>
            resolve({
              status: upstreamRes.statusCode ?? 502,
              headers: upstreamRes.headers,
              body: Buffer.concat(parts),
            }),
          );
          upstreamRes.on('error', reject);
        },
      );
      forward.on('error', reject);
      forward.end(body);
    });
  /** The item under `key` as it stands (DynamoDB Local does not check the signature of the meter's own reads). */
  const read = async (
    /** @type {http.IncomingHttpHeaders} */ headers,
    /** @type {string} */ table,
    /** @type {any} */ key,
  ) => {
    const answer = await send(
      { ...headers, 'x-amz-target': 'DynamoDB_20120810.GetItem' },
      '/',
      Buffer.from(JSON.stringify({ TableName: table, Key: key, ConsistentRead: true })),
    );
    return answer.status === 200 ? JSON.parse(answer.body.toString('utf8')).Item : undefined;
  };
  let queue = Promise.resolve();
  const server = http.createServer((req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const header = req.headers['x-amz-target'];
      const amzTarget = Array.isArray(header) ? header[0] : header;
      countRequest(counts, amzTarget, body.toString('utf8'));
      const operation = (amzTarget ?? '').split('.').pop() ?? '';
      const metered = options.schemas && WRITE_OPERATIONS.has(operation);
      // A read is sent asking for its consumed capacity (DynamoDB Local reports
      // it as DynamoDB bills it), unless its caller asked already.
      let sent = body;
      const readMetered = Boolean(options.schemas) && READ_OPERATIONS.has(operation);
      if (readMetered) {
        const parsed = JSON.parse(body.toString('utf8'));
        if (!parsed.ReturnConsumedCapacity || parsed.ReturnConsumedCapacity === 'NONE') {
          parsed.ReturnConsumedCapacity = 'INDEXES';
          sent = Buffer.from(JSON.stringify(parsed));
        }
      }
      const forward = async () => {
        /** @type {ReturnType<typeof writesOf>} */
        let writes = [];
        /** @type {any[]} */
        let before = [];
        if (metered && options.schemas) {
          const parsed = JSON.parse(body.toString('utf8'));
          writes = writesOf(operation, parsed, options.schemas);
          before = await Promise.all(writes.map((w) => read(req.headers, w.table, w.key)));
        }
        const answer = await send(req.headers, req.url, sent);
        if (readMetered && answer.status === 200) {
          const consumed = JSON.parse(answer.body.toString('utf8')).ConsumedCapacity;
          chargeRead(consumed, reads, (table) => options.label?.(table, {}) ?? table);
        }
        if (metered && options.schemas) {
          const refused = answer.status !== 200;
          const after = refused
            ? before
            : await Promise.all(writes.map((w) => read(req.headers, w.table, w.key)));
          for (const [i, w] of writes.entries()) {
            const was = units.units;
            chargeWrite(
              {
                table: options.label?.(w.table, w.key ?? {}) ?? w.table,
                schema: options.schemas?.[w.table],
                before: before[i],
                after: after[i],
                transactional: w.transactional,
                refused,
              },
              units,
            );
            options.onWrite?.({
              operation,
              table: w.table,
              key: w.key,
              transactional: w.transactional,
              refused,
              units: units.units - was,
            });
          }
        }
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
      };
      let run;
      if (metered) {
        queue = queue.then(forward, forward);
        run = queue;
      } else run = forward();
      run.catch((/** @type {Error} */ error) => {
        if (res.headersSent) return;
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`dynamo counter: ${error.message}`);
      });
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    /** What was counted since the last reset. */
    counts: () => structuredClone(counts),
    /** The write units metered since the last reset (with `schemas` only). */
    writeUnits: () => structuredClone(units),
    /** The read units DynamoDB reported since the last reset (with `schemas` only). */
    readUnits: () => structuredClone(reads),
    /** Starts counting from zero. */
    reset: () => {
      counts = emptyCounts();
      units = emptyWriteUnits();
      reads = emptyReadUnits();
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
      agent.destroy();
    },
  };
}
