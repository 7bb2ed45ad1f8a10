// @ts-check
/**
 * Write units as DynamoDB bills them, measured on DynamoDB Local: for every
 * write a flow makes, the item before and after (read by the meter, never
 * counted), and from them the write units charged to the table and to each
 * index partition the write touches.
 *
 * DynamoDB's rules, as this meter applies them:
 * - a write costs ceil(size / 1 KB) write units of the larger of the item
 *   before and after; an item inside TransactWriteItems costs twice that;
 * - a write that its condition refuses still costs the write (1 unit per KB
 *   of the item as it stands; twice inside a cancelled transaction);
 * - each global secondary index costs a write per index entry it changes:
 *   an entry added, removed or rewritten is one write (ceil(projected size /
 *   1 KB)), an entry whose key changed is two (remove and add). An item
 *   without the index's keys is not in the index (a sparse index: free).
 * Item sizes follow DynamoDB's formula (attribute names plus values; numbers
 * approximated as 1 byte per 2 digits + 1).
 */

/**
 * @typedef {{ AttributeName: string, KeyType: string }} KeyElement
 * @typedef {{ name: string, keys: string[], projection: 'ALL' | 'KEYS_ONLY' | 'INCLUDE', include?: string[] }} IndexSchema
 * @typedef {{ keys: string[], indexes: IndexSchema[] }} TableSchema
 * @typedef {Record<string, any>} AttributeMap a DynamoDB JSON item ({ pk: { S: '...' } })
 * @typedef {{ units: number, byTable: Record<string, number>, byIndex: Record<string, number>,
 *   byKey: Record<string, number> }} WriteUnits
 */

/** The write units a meter has counted so far. @returns {WriteUnits} */
export function emptyWriteUnits() {
  return { units: 0, byTable: {}, byIndex: {}, byKey: {} };
}

/**
 * The schema of each table, from its CloudFormation Properties (scripts/lib/stack/tables.mjs).
 * @param {Record<string, any>} definitions table resource id → Properties
 * @returns {Record<string, TableSchema>} by table name
 */
export function schemasOf(definitions) {
  /** @type {Record<string, TableSchema>} */
  const out = {};
  for (const props of Object.values(definitions)) {
    const keyNames = (/** @type {KeyElement[]} */ ks) => ks.map((k) => k.AttributeName);
    out[props.TableName] = {
      keys: keyNames(props.KeySchema ?? []),
      indexes: (props.GlobalSecondaryIndexes ?? []).map((/** @type {any} */ g) => ({
        name: g.IndexName,
        keys: keyNames(g.KeySchema ?? []),
        projection: g.Projection?.ProjectionType ?? 'ALL',
        include: g.Projection?.NonKeyAttributes,
      })),
    };
  }
  return out;
}

/**
 * The size DynamoDB gives one attribute value, in bytes.
 * @param {any} value a DynamoDB JSON value ({ S }, { N }, { M }, ...)
 * @returns {number}
 */
function valueSize(value) {
  if (!value || typeof value !== 'object') return 0;
  if ('S' in value) return Buffer.byteLength(String(value.S));
  if ('N' in value) return Math.ceil(String(value.N).replace(/^-|\.|^0+/g, '').length / 2) + 1;
  if ('B' in value) return Buffer.byteLength(String(value.B), 'base64');
  if ('BOOL' in value || 'NULL' in value) return 1;
  if ('SS' in value)
    return value.SS.reduce(
      (/** @type {number} */ a, /** @type {string} */ s) => a + Buffer.byteLength(s),
      0,
    );
  if ('NS' in value)
    return value.NS.reduce(
      (/** @type {number} */ a, /** @type {string} */ n) => a + valueSize({ N: n }),
      0,
    );
  if ('L' in value)
    return (
      3 + value.L.reduce((/** @type {number} */ a, /** @type {any} */ v) => a + 1 + valueSize(v), 0)
    );
  if ('M' in value) return 3 + itemSize(value.M, true);
  return 0;
}

/**
 * The size of an item (or of a map's entries), in bytes.
 * @param {AttributeMap | undefined} item
 * @param {boolean} [nested] a map inside an item: 1 byte more per entry
 * @returns {number}
 */
export function itemSize(item, nested = false) {
  if (!item) return 0;
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    size += Buffer.byteLength(name) + valueSize(value) + (nested ? 1 : 0);
  }
  return size;
}

/** Write units of `bytes` (at least 1 for any write). @param {number} bytes */
const unitsOf = (bytes) => Math.max(1, Math.ceil(bytes / 1024));

/**
 * The index entry an item makes in `index`, or undefined when it lacks the
 * index's keys (then it is not in the sparse index).
 * @param {IndexSchema} index @param {TableSchema} table @param {AttributeMap | undefined} item
 */
function indexEntry(index, table, item) {
  if (!item || index.keys.some((k) => item[k] === undefined)) return undefined;
  const keep =
    index.projection === 'ALL'
      ? Object.keys(item)
      : [...new Set([...table.keys, ...index.keys, ...(index.include ?? [])])];
  /** @type {AttributeMap} */
  const entry = {};
  for (const k of keep) if (item[k] !== undefined) entry[k] = item[k];
  const scalar = (/** @type {any} */ v) => String(v.S ?? v.N ?? v.B ?? JSON.stringify(v));
  return { key: index.keys.map((k) => scalar(item[k])).join('|'), entry };
}

/**
 * The write units one item's write costs: `before` and `after` as read around
 * it (`after` undefined for a delete, or when a refused write changed nothing).
 * @param {{ table: string, schema: TableSchema | undefined, before?: AttributeMap,
 *   after?: AttributeMap, transactional: boolean, refused: boolean }} write
 * @param {WriteUnits} into
 */
export function chargeWrite(write, into) {
  const factor = write.transactional ? 2 : 1;
  const base =
    factor * unitsOf(Math.max(itemSize(write.before), write.refused ? 0 : itemSize(write.after)));
  into.units += base;
  into.byTable[write.table] = (into.byTable[write.table] ?? 0) + base;
  if (write.refused || !write.schema) return;
  for (const index of write.schema.indexes) {
    const old = indexEntry(index, write.schema, write.before);
    const now = indexEntry(index, write.schema, write.after);
    if (!old && !now) continue;
    const same = old && now && JSON.stringify(old.entry) === JSON.stringify(now.entry);
    if (same) continue;
    /** @type {{ key: string, bytes: number }[]} */
    const writes = [];
    if (old && now && old.key === now.key)
      writes.push({ key: now.key, bytes: itemSize(now.entry) });
    else {
      if (old) writes.push({ key: old.key, bytes: itemSize(old.entry) });
      if (now) writes.push({ key: now.key, bytes: itemSize(now.entry) });
    }
    for (const w of writes) {
      const units = unitsOf(w.bytes);
      const name = `${write.table}/${index.name}`;
      // (a labelled table keeps its label in the index's name)
      into.units += units;
      into.byIndex[name] = (into.byIndex[name] ?? 0) + units;
      const partition = `${name} ${w.key.split('|')[0]}`;
      into.byKey[partition] = (into.byKey[partition] ?? 0) + units;
    }
  }
}

/**
 * The items a write request touches: table, key, whether it is transactional.
 * @param {string} operation @param {any} body
 * @returns {{ table: string, key: AttributeMap, transactional: boolean, item?: AttributeMap }[]}
 */
export function writesOf(operation, body, /** @type {Record<string, TableSchema>} */ schemas) {
  const keyOf = (/** @type {string} */ table, /** @type {AttributeMap} */ item) => {
    const schema = schemas[table];
    /** @type {AttributeMap} */
    const key = {};
    for (const k of schema?.keys ?? []) key[k] = item[k];
    return key;
  };
  if (operation === 'PutItem') {
    return [
      {
        table: body.TableName,
        key: keyOf(body.TableName, body.Item),
        transactional: false,
        item: body.Item,
      },
    ];
  }
  if (operation === 'UpdateItem' || operation === 'DeleteItem') {
    return [{ table: body.TableName, key: body.Key, transactional: false }];
  }
  if (operation === 'TransactWriteItems') {
    return (body.TransactItems ?? []).flatMap((/** @type {any} */ t) => {
      if (t.Put)
        return [
          {
            table: t.Put.TableName,
            key: keyOf(t.Put.TableName, t.Put.Item),
            transactional: true,
            item: t.Put.Item,
          },
        ];
      if (t.Update) return [{ table: t.Update.TableName, key: t.Update.Key, transactional: true }];
      if (t.Delete) return [{ table: t.Delete.TableName, key: t.Delete.Key, transactional: true }];
      // A ConditionCheck is a read: 2 read units in a transaction, no write.
      return [];
    });
  }
  if (operation === 'BatchWriteItem') {
    return Object.entries(body.RequestItems ?? {}).flatMap(([table, requests]) =>
      /** @type {any[]} */ (requests).map((r) =>
        r.PutRequest
          ? {
              table,
              key: keyOf(table, r.PutRequest.Item),
              transactional: false,
              item: r.PutRequest.Item,
            }
          : { table, key: r.DeleteRequest?.Key, transactional: false },
      ),
    );
  }
  return [];
}

/**
 * The index key that many payments share and that takes the most write units
 * per payment at scale. Keys are grouped by value (`PENDING#07` and
 * `PENDING#12` are one value, `PENDING`, write-sharded): a value's units per
 * payment spread evenly over its index's shards (a stable hash of each
 * item's id: scripts/shard-spread.ts checks the spread), so one shard takes
 * the value's share divided by `shardCounts[index]`; an unsharded value takes
 * it all. A sample of a few payments could not show that spread itself.
 * @param {Record<string, number>} byKey units by `<table>/<index> <key value>` over `payments`
 * @param {number} payments
 * @param {Record<string, number>} shardCounts shards per index name
 * @returns {{ key: string, perPayment: number, shards: number } | undefined}
 */
export function busiestSharedKey(byKey, payments, shardCounts) {
  /** @type {Map<string, { units: number, index: string, sharded: boolean }>} */
  const values = new Map();
  for (const [name, units] of Object.entries(byKey)) {
    const [where = '', value = ''] = name.split(' ');
    const index = where.split('/').pop() ?? '';
    const sharded = /#\d+$/.test(value);
    const group = `${where} ${sharded ? value.replace(/#\d+$/, '#NN') : value}`;
    const seen = values.get(group) ?? { units: 0, index, sharded };
    seen.units += units;
    values.set(group, seen);
  }
  let busiest;
  for (const [key, v] of values) {
    const shards = v.sharded ? (shardCounts[v.index] ?? 1) : 1;
    const perPayment = v.units / payments / shards;
    if (!busiest || perPayment > busiest.perPayment) busiest = { key, perPayment, shards };
  }
  return busiest;
}
