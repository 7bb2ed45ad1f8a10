// @ts-check
/**
 * The capacity model and the bill: what AWS throttles first, and what a
 * million payments cost, from a stage's resolved settings (`sls print`) and
 * the figures one payment was measured to cost (scripts/capacity-figures.json).
 * Pure functions: settings and figures in, numbers out (unit-tested, and run
 * on the dev and prod templates by test/package/capacity.test.ts).
 */

/**
 * Every AWS constant the model uses, with where it comes from. Region
 * us-east-1, list prices and default quotas as published on 2026-12-06.
 */
export const AWS = {
  region: 'us-east-1',
  asOf: '2026-12-06',
  quotas: {
    /** Lambda: concurrent executions per account and Region (default; raise it by request). */
    lambdaConcurrency: {
      value: 1000,
      source: 'Lambda quotas: concurrent executions, default 1,000',
    },
    /**
     * Lambda: Invoke API requests per second per function, synchronous: 10 ×
     * the concurrency quota (the model uses 10 × the stage's concurrency).
     */
    lambdaInvokeRpsPerConcurrency: {
      value: 10,
      source:
        'Lambda quotas: invocation requests per function per Region (synchronous), 10 × the concurrent executions quota (10,000 req/s at the default 1,000)',
    },
    /** Lambda: each function scales by this many executions every 10 s. */
    lambdaScalingPer10s: {
      value: 1000,
      source: 'Lambda scaling behavior: 1,000 executions per 10 s per function',
    },
    /** HTTP API: requests per second per account and Region, across every API. */
    apiAccountRps: {
      value: 10000,
      source:
        'API Gateway quotas: HTTP API throttle 10,000 RPS per account per Region (burst 5,000)',
    },
    /** DynamoDB: write units per second one partition (and so one partition key) serves. */
    partitionWcu: { value: 1000, source: 'DynamoDB: 1,000 WCU/s per partition' },
    /** DynamoDB: what a new on-demand table serves at first, before it has seen traffic. */
    newOnDemandTableWcu: {
      value: 4000,
      source:
        'DynamoDB on-demand: new tables serve up to 4,000 WCU/s at first (WarmThroughput raises it)',
    },
    /** DynamoDB: table-level on-demand maximum, per table (default account quota). */
    tableMaxWcu: {
      value: 40000,
      source: 'DynamoDB quotas: 40,000 WCU/s per on-demand table (default)',
    },
    /** SSM Parameter Store: GetParameter transactions per second, standard throughput. */
    ssmStandardTps: {
      value: 40,
      source: 'SSM quotas: GetParameter 40 TPS (standard); 10,000 TPS with higher throughput',
    },
    ssmHighTps: { value: 10000, source: 'SSM quotas: higher throughput setting' },
  },
  prices: {
    /** Lambda on arm64, per GB-second (first tier). */
    lambdaGbSecond: { value: 0.0000133334, source: 'Lambda pricing, arm64' },
    lambdaPerMillionRequests: { value: 0.2, source: 'Lambda pricing' },
    /** DynamoDB on-demand, per million write / read request units (prices of 2024-11-01). */
    dynamoPerMillionWru: { value: 0.625, source: 'DynamoDB on-demand pricing' },
    dynamoPerMillionRru: { value: 0.125, source: 'DynamoDB on-demand pricing' },
    dynamoStorageGbMonth: { value: 0.25, source: 'DynamoDB storage, standard table class' },
    httpApiPerMillion: { value: 1.0, source: 'API Gateway HTTP API, first 300 million a month' },
    logsIngestGb: {
      value: 0.5,
      source: 'CloudWatch Logs standard ingestion (vended logs: same first tier)',
    },
    xrayPerMillionTraces: { value: 5.0, source: 'X-Ray traces recorded' },
  },
};

/** The default sampling of X-Ray: the first request each second, then this fraction. */
const XRAY_SAMPLE_RATE = 0.05;

/**
 * @typedef {{ count: number, ms: number }} Invocation
 * @typedef {{
 *   writeUnitsPerPayment: { tables: Record<string, number>, indexes: Record<string, number> },
 *   hottestSharedKey: { index: string, writeUnitsPerPayment: number },
 *   readUnitsPerPayment: { total: number },
 *   invocations: { perPayment: Record<string, Invocation> },
 *   apiRequestsPerPayment: { public: Record<string, number>, internal: Record<string, number> },
 *   directInvocationsPerPayment: { functions: Record<string, number> },
 *   logs: { linesPerPayment: number, bytesPerLine: number, metricLinesPerPayment: number,
 *     metricBytesPerLine: number, accessLogBytesPerRequest: number,
 *     platformBytesPerInvocation: number },
 *   orderEventsPerPayment: number,
 *   ssmReadsPerColdStart: { reads: number },
 *   relayEvent: { ms: number },
 * }} Figures
 * @typedef {{ rate: number, burst: number }} Throttle
 * @typedef {{
 *   stage: string, target: number, defaultThrottle: Throttle | undefined,
 *   routeThrottles: Record<string, Throttle>, memoryMb: Record<string, number>,
 *   timeoutS: Record<string, number>, tableWcu: Record<string, number>,
 *   indexWcu: Record<string, number>,
 *   lambdaConcurrency: number, ssmTps: number,
 *   relay: RelaySettings,
 *   platformLogLines: boolean,
 * }} StageSettings
 * @typedef {{
 *   batchSize: number, concurrency: number, slices: number, shardsPerRun: number,
 *   runsPerMinute: number, parallel: number, timeoutS: number, reserveMs: number,
 * }} RelaySettings
 */

/** @param {unknown} v */
const num = (v) => (typeof v === 'number' ? v : Number(v));

/** Shards of the outbox-due index (lib/payment/indexes.ts OUTBOX_DUE_SHARDS; test/package checks they agree). */
export const OUTBOX_DUE_SHARDS = 64;
/** What a relay run keeps of its time unspent (lib/outbox/delivery-engine.ts, reserveMs's default). */
export const RELAY_RESERVE_MS = 10_000;

/**
 * A stage's settings from its resolved config (`sls print --format json`).
 * @param {any} config
 * @param {string} stage
 * @returns {StageSettings}
 */
export function stageSettings(config, stage) {
  const stageProps = config.resources?.extensions?.HttpApiStage?.Properties ?? {};
  /** @param {any} s @returns {Throttle | undefined} */
  const throttleOf = (s) =>
    s && s.ThrottlingRateLimit !== undefined
      ? { rate: num(s.ThrottlingRateLimit), burst: num(s.ThrottlingBurstLimit) }
      : undefined;
  /** @type {Record<string, Throttle>} */
  const routeThrottles = {};
  for (const [route, s] of Object.entries(stageProps.RouteSettings ?? {})) {
    const t = throttleOf(s);
    if (t) routeThrottles[route] = t;
  }
  /** @type {Record<string, number>} */
  const memoryMb = {};
  /** @type {Record<string, number>} */
  const timeoutS = {};
  for (const [name, fn] of Object.entries(config.functions ?? {})) {
    const f = /** @type {any} */ (fn);
    memoryMb[name] = num(f.memorySize ?? config.provider?.memorySize ?? 1024);
    timeoutS[name] = num(f.timeout ?? config.provider?.timeout ?? 6);
  }
  /** @type {Record<string, number>} */
  const tableWcu = {};
  /** @type {Record<string, number>} */
  const indexWcu = {};
  /** @param {any} w */
  const wcuOf = (w) => {
    const warm = num(w?.WriteUnitsPerSecond);
    return Number.isFinite(warm) && warm > 0 ? warm : AWS.quotas.newOnDemandTableWcu.value;
  };
  for (const [id, res] of Object.entries(config.resources?.Resources ?? {})) {
    const r = /** @type {any} */ (res);
    if (r.Type !== 'AWS::DynamoDB::Table') continue;
    // The stage's warm throughput rides on the table's extension (serverless.yml).
    const extension = config.resources?.extensions?.[id]?.Properties ?? {};
    tableWcu[tableKey(id)] = wcuOf(extension.WarmThroughput ?? r.Properties?.WarmThroughput);
    for (const gsi of r.Properties?.GlobalSecondaryIndexes ?? []) {
      indexWcu[String(gsi.IndexName)] = wcuOf(gsi.WarmThroughput);
    }
  }
  const capacity = config.custom?.capacity ?? {};
  const relayFn = config.functions?.paymentRelay ?? {};
  const relayEnv = relayFn.environment ?? {};
  /** @type {any[]} */
  const schedules = (relayFn.events ?? [])
    .map((/** @type {any} */ e) => e.schedule)
    .filter((/** @type {any} */ e) => e && e.enabled !== false && e.enabled !== 'false');
  const everyMinute = schedules.every((e) => /rate\(1 minute\)/.test(String(e.rate ?? '')));
  const slices = num(relayEnv.OUTBOX_RELAY_SLICES ?? 1);
  return {
    stage,
    target: num(capacity.targetPaymentsPerSecond ?? 0),
    defaultThrottle: throttleOf(stageProps.DefaultRouteSettings),
    routeThrottles,
    memoryMb,
    timeoutS,
    tableWcu,
    indexWcu,
    lambdaConcurrency: num(capacity.lambdaConcurrency ?? AWS.quotas.lambdaConcurrency.value),
    // Lambda's START/END/REPORT lines are ingested unless the template sets the system level to WARN.
    platformLogLines: config.provider?.logs?.lambda?.systemLogLevel !== 'WARN',
    ssmTps: num(capacity.ssmTps ?? AWS.quotas.ssmStandardTps.value),
    relay: {
      batchSize: num(relayEnv.OUTBOX_BATCH_SIZE ?? 25),
      concurrency: num(relayEnv.OUTBOX_DELIVERY_CONCURRENCY ?? 8),
      slices,
      shardsPerRun: Math.ceil(OUTBOX_DUE_SHARDS / slices),
      // Each enabled schedule starts one run a minute; the fan-out's run at once.
      runsPerMinute: everyMinute ? 1 : num(capacity.relayRunsPerMinute ?? 1),
      parallel: schedules.length,
      timeoutS: num(relayFn.timeout ?? config.provider?.timeout ?? 6),
      reserveMs: RELAY_RESERVE_MS,
    },
  };
}

/** The figures' table name of a template's table resource (`PaymentsTable` → `payments`, `OrderAuditTable` → `order-audit`). */
export function tableKey(/** @type {string} */ resourceId) {
  return resourceId
    .replace(/Table$/, '')
    .replace(/([a-z])([A-Z])/g, '$1-$2')
    .toLowerCase();
}

/**
 * @typedef {{ limit: string, paymentsPerSecond: number, detail: string, source?: string }} Ceiling
 */

/**
 * The model: every limit's ceiling in payments/s, the first that binds, the
 * Lambda concurrency per function (measured durations, and with a callee slow
 * to its timeout), cold starts and SSM reads at a 10× spike, the time to
 * recover a 10-minute order outage, and the bill per million payments.
 * @param {StageSettings} s
 * @param {Figures} f
 */
export function capacityModel(s, f) {
  /** @type {Ceiling[]} */
  const ceilings = [];
  const routes = { ...f.apiRequestsPerPayment.public, ...f.apiRequestsPerPayment.internal };
  for (const [route, perPayment] of Object.entries(routes)) {
    // A route the payment flow no longer calls through API Gateway (0 a payment) cannot bind it.
    if (!(perPayment > 0)) continue;
    const t = s.routeThrottles[route] ?? s.defaultThrottle;
    if (!t) continue;
    ceilings.push({
      limit: `API throttle ${route}`,
      paymentsPerSecond: t.rate / perPayment,
      detail: `rate ${t.rate}/s, burst ${t.burst}${s.routeThrottles[route] ? '' : ' (stage default)'}`,
    });
  }
  const apiPerPayment = Object.values(routes).reduce((a, b) => a + b, 0);
  ceilings.push({
    limit: 'API account quota',
    paymentsPerSecond: AWS.quotas.apiAccountRps.value / apiPerPayment,
    detail: `${AWS.quotas.apiAccountRps.value} req/s across the account, ${apiPerPayment} requests per payment`,
    source: AWS.quotas.apiAccountRps.source,
  });
  // Each table and each index has write capacity of its own: a new one's, or its warm throughput.
  for (const [kind, perPayment, allowedOf] of /** @type {const} */ ([
    ['table', f.writeUnitsPerPayment.tables, s.tableWcu],
    ['index', f.writeUnitsPerPayment.indexes, s.indexWcu],
  ])) {
    for (const [name, wcu] of Object.entries(perPayment)) {
      const allowed = allowedOf[name] ?? AWS.quotas.newOnDemandTableWcu.value;
      const warm = allowed !== AWS.quotas.newOnDemandTableWcu.value;
      ceilings.push({
        limit: `DynamoDB ${kind} ${name}`,
        paymentsPerSecond: allowed / wcu,
        detail: `${allowed} WCU/s (${warm ? 'warm throughput' : `a new on-demand ${kind}`}), ${wcu} WCU per payment`,
        source: AWS.quotas.newOnDemandTableWcu.source,
      });
    }
  }
  ceilings.push({
    limit: `DynamoDB hot key ${f.hottestSharedKey.index}`,
    paymentsPerSecond: AWS.quotas.partitionWcu.value / f.hottestSharedKey.writeUnitsPerPayment,
    detail: `${AWS.quotas.partitionWcu.value} WCU/s per partition, ${f.hottestSharedKey.writeUnitsPerPayment} WCU per payment on one shared key`,
    source: AWS.quotas.partitionWcu.source,
  });
  const concurrency = concurrencyAt(s, f, 1);
  const perPaymentConcurrency = Object.values(concurrency).reduce((a, c) => a + c.measured, 0);
  ceilings.push({
    limit: 'Lambda concurrency',
    paymentsPerSecond: s.lambdaConcurrency / perPaymentConcurrency,
    detail: `${s.lambdaConcurrency} concurrent executions, ${perPaymentConcurrency.toFixed(3)} per payment/s at the measured durations`,
    source: AWS.quotas.lambdaConcurrency.source,
  });
  // The calls between services that go straight to a function (the Lambda
  // Invoke API, no API Gateway): bound by the callee's invoke rate, and by the
  // concurrency every function shares (the ceiling above).
  const invokeRps = AWS.quotas.lambdaInvokeRpsPerConcurrency.value * s.lambdaConcurrency;
  for (const [fn, perPayment] of Object.entries(f.directInvocationsPerPayment.functions)) {
    if (!(perPayment > 0)) continue;
    ceilings.push({
      limit: `Lambda invoke rate ${fn}`,
      paymentsPerSecond: invokeRps / perPayment,
      detail: `${invokeRps} synchronous invocations/s per function (10 × concurrency ${s.lambdaConcurrency}), ${perPayment} per payment`,
      source: AWS.quotas.lambdaInvokeRpsPerConcurrency.source,
    });
  }
  const sorted = [...ceilings].sort((a, b) => a.paymentsPerSecond - b.paymentsPerSecond);
  const binding = sorted[0];

  const at = s.target > 0 ? s.target : 100;
  const perFunction = concurrencyAt(s, f, at);
  // A 10× spike over the target: every extra execution is a cold start, spread over the scaling window.
  const extra = Object.values(perFunction).reduce((a, c) => a + c.measured, 0) * 9;
  const coldStartsPerSecond = extra / 10;
  const ssmTpsNeeded = coldStartsPerSecond * f.ssmReadsPerColdStart.reads;

  return {
    stage: s.stage,
    target: s.target,
    ceilings: sorted,
    binding,
    carriesTarget: binding ? binding.paymentsPerSecond >= s.target : true,
    concurrency: perFunction,
    spike: {
      coldStartsPerSecond,
      ssmTpsNeeded,
      ssmTps: s.ssmTps,
      ssmOk: ssmTpsNeeded <= s.ssmTps,
    },
    recovery: [100, 1000].map((rate) => recoveryOf(s, f, rate)),
    relay: s.relay,
    relayEventMs: f.relayEvent.ms,
    bill: billPerMillion(s, f),
  };
}

/**
 * Concurrent executions per function at `rate` payments/s: at the measured
 * durations, and when every call to the order service waits its timeout.
 * @param {StageSettings} s @param {Figures} f @param {number} rate
 */
function concurrencyAt(s, f, rate) {
  /** @type {Record<string, { measured: number, slowCallee: number }>} */
  const out = {};
  const orderTimeout = s.timeoutS.orderHold ?? 10;
  for (const [fn, inv] of Object.entries(f.invocations.perPayment)) {
    const measured = (rate * inv.count * inv.ms) / 1000;
    // A slow order service: the hold and the status call each wait up to the callee's timeout.
    const slow =
      fn === 'paymentCreate'
        ? rate * inv.count * (inv.ms / 1000 + 2 * orderTimeout)
        : fn.startsWith('order')
          ? rate * inv.count * orderTimeout
          : measured;
    out[fn] = { measured, slowCallee: slow };
  }
  return out;
}

/**
 * Time to deliver the order events a 10-minute order outage leaves behind at
 * `rate` payments/s, once the order service is back: each run keeps
 * `concurrency` deliveries in flight for its timeout less its reserve, one
 * event every `relayEvent.ms` per slot (claim, call, mark), `parallel` runs
 * a minute; bounded by what the order status call's limit leaves over from
 * new payments, which keep coming by the fast path meanwhile: its API route's
 * throttle when it goes through API Gateway, orderUpdateStatus's invoke rate
 * when it goes straight to the function.
 * @param {StageSettings} s @param {Figures} f @param {number} rate
 */
function recoveryOf(s, f, rate) {
  const r = s.relay;
  const backlog = rate * 600 * f.orderEventsPerPayment;
  const workMs = Math.max(0, r.timeoutS * 1000 - r.reserveMs);
  const perRun = r.concurrency * Math.floor(workMs / f.relayEvent.ms);
  const engine = perRun * r.runsPerMinute * r.parallel;
  const route = 'PUT /orders/{orderId}/status';
  const fn = 'orderUpdateStatus';
  const throttle = s.routeThrottles[route] ?? s.defaultThrottle;
  const viaApi = f.apiRequestsPerPayment.internal[route];
  const direct = f.directInvocationsPerPayment.functions[fn];
  /** @type {{ name: string, rate: number, perPayment: number } | undefined} */
  const limit = viaApi
    ? throttle && { name: `the ${route} throttle`, rate: throttle.rate, perPayment: viaApi }
    : {
        name: `the ${fn} invoke rate`,
        rate: AWS.quotas.lambdaInvokeRpsPerConcurrency.value * s.lambdaConcurrency,
        perPayment: direct ?? 1,
      };
  const spare = limit ? Math.max(0, (limit.rate - rate * limit.perPayment) * 60) : Infinity;
  const eventsPerMinute = Math.min(engine, spare);
  return {
    rate,
    backlog,
    perRun,
    engineEventsPerMinute: engine,
    throttleEventsPerMinute: spare,
    boundBy: engine <= spare || !limit ? 'the relay' : limit.name,
    /** Deliveries in flight across the runs: the extra concurrent order status executions. */
    inFlight: r.concurrency * r.parallel,
    eventsPerMinute,
    hours: eventsPerMinute > 0 ? backlog / eventsPerMinute / 60 : Infinity,
  };
}

/**
 * The bill per million payments, item by item at list prices.
 * @param {StageSettings} s @param {Figures} f
 */
export function billPerMillion(s, f) {
  const p = AWS.prices;
  let gbSeconds = 0;
  let invocations = 0;
  for (const [fn, inv] of Object.entries(f.invocations.perPayment)) {
    const memoryGb = (s.memoryMb[fn] ?? 512) / 1024;
    gbSeconds += inv.count * (inv.ms / 1000) * memoryGb;
    invocations += inv.count;
  }
  const wcu =
    Object.values(f.writeUnitsPerPayment.tables).reduce((a, b) => a + b, 0) +
    Object.values(f.writeUnitsPerPayment.indexes).reduce((a, b) => a + b, 0);
  const apiRequests = [
    ...Object.values(f.apiRequestsPerPayment.public),
    ...Object.values(f.apiRequestsPerPayment.internal),
  ].reduce((a, b) => a + b, 0);
  const platformBytes = s.platformLogLines ? invocations * f.logs.platformBytesPerInvocation : 0;
  const logGb =
    (f.logs.linesPerPayment * f.logs.bytesPerLine +
      f.logs.metricLinesPerPayment * f.logs.metricBytesPerLine +
      apiRequests * f.logs.accessLogBytesPerRequest +
      platformBytes) /
    1e9;
  const items = [
    {
      item: 'Lambda GB-seconds',
      perPayment: `${gbSeconds.toFixed(4)} GB-s`,
      usd: gbSeconds * 1e6 * p.lambdaGbSecond.value,
    },
    {
      item: 'Lambda requests',
      perPayment: `${invocations.toFixed(2)}`,
      usd: invocations * p.lambdaPerMillionRequests.value,
    },
    {
      item: 'DynamoDB write units',
      perPayment: `${wcu} WCU`,
      usd: wcu * p.dynamoPerMillionWru.value,
    },
    {
      item: 'DynamoDB read units',
      perPayment: `${f.readUnitsPerPayment.total} RCU`,
      usd: f.readUnitsPerPayment.total * p.dynamoPerMillionRru.value,
    },
    {
      item: 'API Gateway requests',
      perPayment: `${apiRequests}`,
      usd: apiRequests * p.httpApiPerMillion.value,
    },
    {
      item: s.platformLogLines
        ? "CloudWatch Logs ingestion (with Lambda's own lines)"
        : 'CloudWatch Logs ingestion',
      perPayment: `${(logGb * 1e9).toFixed(0)} bytes`,
      usd: logGb * 1e6 * p.logsIngestGb.value,
    },
    {
      item: 'X-Ray traces (5 % sampled)',
      perPayment: `${XRAY_SAMPLE_RATE} traces`,
      usd: XRAY_SAMPLE_RATE * p.xrayPerMillionTraces.value,
    },
  ];
  const total = items.reduce((a, i) => a + i.usd, 0);
  return { items, total };
}

/**
 * The model as text: the ceilings (the first that binds marked), the
 * concurrency per function, the spike, the recovery and the bill.
 * @param {ReturnType<typeof capacityModel>} m
 * @param {(header: string[], rows: (string | number)[][]) => string} table
 */
export function capacityReport(m, table) {
  const n = (/** @type {number} */ v, d = 0) =>
    v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const out = [];
  out.push(
    `# Capacity of stage ${m.stage} (target ${n(m.target)} payments/s; ${AWS.region}, AWS figures of ${AWS.asOf})`,
  );
  out.push('');
  out.push(
    table(
      ['limit', 'payments/s', 'what sets it'],
      m.ceilings.map((c, i) => [
        `${i === 0 ? '* ' : '  '}${c.limit}`,
        n(c.paymentsPerSecond),
        c.detail,
      ]),
    ),
  );
  out.push('');
  out.push(
    m.binding
      ? `First to bind: ${m.binding.limit} at ${n(m.binding.paymentsPerSecond)} payments/s: ${m.carriesTarget ? 'carries' : 'CANNOT carry'} the target of ${n(m.target)}.`
      : 'No limit found.',
  );
  out.push('');
  out.push(`Lambda concurrency at ${n(m.target || 100)} payments/s:`);
  out.push(
    table(
      ['function', 'measured durations', 'order service slow to its timeout'],
      Object.entries(m.concurrency).map(([fn, c]) => [fn, n(c.measured, 1), n(c.slowCallee, 1)]),
    ),
  );
  const sum = (/** @type {'measured' | 'slowCallee'} */ k) =>
    Object.values(m.concurrency).reduce((a, c) => a + c[k], 0);
  out.push(
    `total: ${n(sum('measured'), 1)} measured, ${n(sum('slowCallee'), 1)} with a slow order service (account quota ${n(AWS.quotas.lambdaConcurrency.value)} by default).`,
  );
  out.push('');
  out.push(
    `A 10× spike: ${n(m.spike.coldStartsPerSecond, 1)} cold starts/s, ${n(m.spike.ssmTpsNeeded, 1)} SSM reads/s against ${n(m.spike.ssmTps)} TPS: ${m.spike.ssmOk ? 'ok' : 'THROTTLED (raise SSM throughput or cache keys longer)'}.`,
  );
  out.push('');
  out.push(
    `Recovery: ${n(m.relay.parallel)} relay run(s) a minute (${n(m.relay.slices)} slice(s), ${n(m.relay.shardsPerRun)} of the ${OUTBOX_DUE_SHARDS} outbox shards each), ${n(m.relay.concurrency)} deliveries in flight per run for ${n(m.relay.timeoutS)} s less ${n(m.relay.reserveMs / 1000)} s, ${n(m.relayEventMs)} ms per event:`,
  );
  out.push(
    table(
      [
        '10-minute order outage at',
        'events left',
        'per run',
        'relay events/min',
        'bound by',
        'hours to drain',
      ],
      m.recovery.map((r) => [
        `${n(r.rate)} payments/s`,
        n(r.backlog),
        n(r.perRun),
        n(r.eventsPerMinute),
        r.boundBy,
        n(r.hours, 2),
      ]),
    ),
  );
  out.push('');
  out.push('Bill per million payments (list prices):');
  out.push(
    table(
      ['item', 'per payment', 'USD per million'],
      [
        ...m.bill.items.map((i) => [i.item, i.perPayment, n(i.usd, 2)]),
        ['total', '', n(m.bill.total, 2)],
      ],
    ),
  );
  return out.join('\n');
}
