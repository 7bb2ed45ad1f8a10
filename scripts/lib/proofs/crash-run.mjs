// @ts-check
/**
 * The crash run behind `npm run chaos -- --crash` and test/e2e/crash-small.test.ts:
 * a stack of its own (DynamoDB Local on disk, serverless-offline in a process
 * group of its own) that is killed with SIGKILL at random moments while
 * payments are in flight, and restarted on the same ports and the same data;
 * once in the run DynamoDB Local is killed and restarted too. Clients behave
 * like real ones: each creates its order and pays (with duplicates at once),
 * retrying until a final answer. Then the relay drains and every promise is
 * checked against the tables, the gateway's own ledger and the idempotency
 * records (scripts/lib/proofs/invariants.mjs).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApi } from '../common/api.mjs';
import { mapLimit } from '../common/pool.mjs';
import { percentile } from '../common/report.mjs';
import { startDynamoDbLocal } from '../stack/dynamodb-local.mjs';
import { ensureDevKeys } from '../stack/keys.mjs';
import { killGroup, startOffline } from '../stack/offline.mjs';
import { freePort } from '../stack/process.mjs';
import { functionEnvironment } from '../stack/stack.mjs';
import { createTables, resolvedServerlessConfig } from '../stack/tables.mjs';
import {
  drainRelay,
  drainTables,
  orderOf,
  paymentOf,
  payUntilFinal,
  planWorkload,
  seededRandom,
} from './chaos-run.mjs';
import { checkInvariants } from './invariants.mjs';
import {
  documentClient,
  normalizeTables,
  scanLedgerAndIdempotency,
  scanTables,
} from './snapshot.mjs';

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));
/** How long the run may take by default (clients keep asking for a final answer until then). */
const DEFAULT_BUDGET_MS = 30 * 60_000;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * @typedef {{
 *   n: number, concurrency: number, dupRate: number, declineRate: number,
 *   kills: number, seed: number, drainSeconds: number, stage?: string,
 *   minGapMs?: number, maxGapMs?: number, log?: (line: string) => void, budgetMs?: number,
 * }} CrashOptions `kills` ≥ 1 SIGKILLs of serverless-offline's group, each
 *   `minGapMs`–`maxGapMs` after the stack came back (DynamoDB Local too at the middle one);
 *   `budgetMs`: past it, no more kills, clients stop asking, the drain stops, and the run
 *   reports what it found (a test's timeout never leaves it running in the background)
 */

/**
 * One client buying: creates its order and pays it (the copies at once), each
 * request retried until it has a final answer, as a real client would.
 * @param {ReturnType<typeof createApi>} call
 * @param {import('./chaos-run.mjs').PlannedPayment} p
 * @param {() => number} random
 * @param {number} deadline epoch ms after which the client stops asking
 */
async function buy(call, p, random, deadline) {
  const order = orderOf(p);
  let orderAttempts = 0;
  for (;;) {
    orderAttempts++;
    const answer = await call('POST', '/orders', { body: order });
    if ((answer.status === 201 || answer.status === 200) && answer.body?.status) break;
    if (answer.status >= 400 && answer.status < 500 && answer.status !== 409) {
      throw new Error(`POST /orders ${p.orderId} answered ${answer.status}: ${answer.text}`);
    }
    if (Date.now() > deadline) {
      // Reported as a client without a final answer, like a payment that got none.
      const text = `POST /orders ${p.orderId}: no answer before the run's budget ran out`;
      return [{ answer: { status: 0, text, body: undefined }, statuses: [0], latencies: [] }];
    }
    await sleep(Math.min(2000, 100 * 2 ** Math.min(orderAttempts, 5)) * (0.5 + random() / 2));
  }
  const body = paymentOf(p);
  // A stack restart takes seconds (minutes on a loaded machine) and a dead
  // request holds its key until its function's timeout: a client keeps trying
  // until it has an answer, for as long as the run lasts.
  return Promise.all(
    p.copies.map(() =>
      payUntilFinal(call, body, '', {
        maxAttempts: 2000,
        random,
        inProgressWaitMs: Math.max(0, deadline - Date.now()),
        deadline,
      }),
    ),
  );
}

/**
 * The whole crash run on a private stack; stops everything it started.
 * @param {CrashOptions} options
 */
export async function runCrash(options) {
  const log = options.log ?? (() => undefined);
  const stage = options.stage ?? 'test';
  const deadline = Date.now() + (options.budgetMs ?? DEFAULT_BUDGET_MS);
  const random = seededRandom(options.seed);
  const prefix = `crash-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const work = mkdtempSync(path.join(tmpdir(), 'lambda-payments-crash-'));
  const dbPath = path.join(work, 'dynamodb');
  const logFile = path.join(work, 'offline.log');
  const [httpPort, lambdaPort, dynamoPort] = /** @type {[number, number, number]} */ (
    await Promise.all([freePort(), freePort(), freePort()])
  );
  const keyEnv = await ensureDevKeys(path.join(work, 'keys'));
  const config = await resolvedServerlessConfig(stage);

  /** @type {Awaited<ReturnType<typeof startDynamoDbLocal>> | undefined} */
  let db;
  /** @type {Awaited<ReturnType<typeof startOffline>> | undefined} */
  let offline;
  const startDb = async () => {
    db = await startDynamoDbLocal({ port: dynamoPort, dbPath });
    // The same setup as `npm start -- --persist` on existing data: it must not fail.
    await createTables(db.endpoint, stage, config);
    return db.endpoint;
  };
  const startServices = async (/** @type {string} */ endpoint) => {
    offline = await startOffline({
      stage,
      httpPort,
      lambdaPort,
      dynamoEndpoint: endpoint,
      // Its own build folder: the kills never touch another stack's bundles.
      env: { ...keyEnv, ESBUILD_WORK_FOLDER: `.esbuild-crash-${process.pid}` },
      logFile,
      detached: true,
      timeoutMs: 90_000,
    });
  };
  const stopAll = async () => {
    if (offline) await killGroup(offline.child);
    await db?.stop();
    rmSync(path.join(root, `.esbuild-crash-${process.pid}`), { recursive: true, force: true });
  };

  try {
    log(`Crash run ${prefix} (seed ${options.seed}): starting a stack of its own on disk...`);
    const endpoint = await startDb();
    const env = await functionEnvironment(stage, endpoint);
    await startServices(endpoint);

    const plan = planWorkload({
      n: options.n,
      prefix,
      random,
      dupRate: options.dupRate,
      faultRate: 0,
      declineRate: options.declineRate,
      declinedAmount: 20.51,
      approvedAmount: 20.25,
    });
    const api = createApi(`http://127.0.0.1:${httpPort}`, { timeoutMs: 30_000 });
    // Payment requests on the wire right now: the killer strikes while there are some.
    let paymentsInFlight = 0;
    /** @type {typeof api} */
    const call = async (method, route, request) => {
      const payment = route === '/payments';
      if (payment) paymentsInFlight++;
      try {
        return await api(method, route, request);
      } finally {
        if (payment) paymentsInFlight--;
      }
    };
    const windows = options.kills + 1;
    const windowOf = (/** @type {number} */ index) => Math.floor((index * windows) / plan.length);
    /** Payments of each kill window not answered yet. */
    const openInWindow = Array.from({ length: windows }, () => 0);
    plan.forEach((_, index) => {
      openInWindow[windowOf(index)] = (openInWindow[windowOf(index)] ?? 0) + 1;
    });
    const dbKillAt = Math.ceil(options.kills / 2);
    const minGap = options.minGapMs ?? 300;
    const maxGap = options.maxGapMs ?? 2500;
    /** @type {{ n: number, atSeconds: number, inFlight: number, database: boolean, restartSeconds: number }[]} */
    const kills = [];
    let killsDone = 0;
    const started = Date.now();

    // The killer: SIGKILL at a random moment after each restart, `kills` times.
    const killer = (async () => {
      for (let k = 1; k <= options.kills && Date.now() < deadline; k++) {
        // Once a payment of this window is on the wire (or the window is done),
        // at a random moment: inside a charge, a transaction, a delivery...
        while (paymentsInFlight === 0 && (openInWindow[k - 1] ?? 0) > 0 && Date.now() < deadline) {
          await sleep(20);
        }
        await sleep(minGap + random() * (maxGap - minGap));
        const database = k === dbKillAt;
        const at = Date.now();
        const inFlightAtKill = paymentsInFlight;
        await killGroup(/** @type {NonNullable<typeof offline>} */ (offline).child);
        if (database) await killGroup(/** @type {NonNullable<typeof db>} */ (db).child);
        killsDone = k;
        log(
          `  kill ${k}/${options.kills} at ${((at - started) / 1000).toFixed(1)} s: serverless-offline` +
            `${database ? ' and DynamoDB Local' : ''} (${inFlightAtKill} payment requests in flight)`,
        );
        const endpointNow = database
          ? await startDb()
          : /** @type {NonNullable<typeof db>} */ (db).endpoint;
        await startServices(endpointNow);
        const restartSeconds = (Date.now() - at) / 1000;
        kills.push({
          n: k,
          atSeconds: (at - started) / 1000,
          inFlight: inFlightAtKill,
          database,
          restartSeconds,
        });
        log(`    back after ${restartSeconds.toFixed(1)} s`);
      }
    })();

    // The clients: payment i waits for the kill window it belongs to, so every
    // window between two kills has payments in it.
    /** @type {Record<string, number>} */
    const finalStatuses = {};
    /** @type {number[]} */
    const latencies = [];
    /** @type {import('./invariants.mjs').Violation[]} */
    const answerViolations = [];
    let retries = 0;
    /** @type {unknown} */
    let killerFailed;
    killer.catch((error) => {
      killerFailed = error;
    });
    await mapLimit(plan, options.concurrency, async (p, index) => {
      const window = windowOf(index);
      while (killsDone < window && !killerFailed && Date.now() < deadline) await sleep(50);
      try {
        const results = await buy(call, p, random, deadline);
        const outcomes = new Set();
        for (const { answer, statuses, latencies: ms } of results) {
          latencies.push(...ms);
          retries += statuses.length - 1;
          finalStatuses[answer.status] = (finalStatuses[answer.status] ?? 0) + 1;
          if (answer.status !== 201 && answer.status !== 200) {
            answerViolations.push({
              invariant: 'every client gets a final answer',
              id: p.transactionId,
              detail: `statuses ${statuses.join(',')}: ${answer.text.slice(0, 160)}`,
            });
          } else outcomes.add(answer.body?.status);
        }
        if (outcomes.size > 1) {
          answerViolations.push({
            invariant: 'replays agree with the first answer',
            id: p.transactionId,
            detail: `answers disagree: ${[...outcomes].join(' vs ')}`,
          });
        }
      } finally {
        openInWindow[window] = (openInWindow[window] ?? 1) - 1;
      }
    });
    await killer;
    const requestSeconds = (Date.now() - started) / 1000;

    log('Draining the outbox relay...');
    const doc = documentClient(endpoint);
    let drain;
    let snapshot;
    try {
      drain = await drainRelay({
        lambdaUrl: `http://127.0.0.1:${lambdaPort}`,
        stage,
        doc,
        tables: drainTables(env),
        prefix,
        timeoutMs: Math.max(1000, Math.min(options.drainSeconds * 1000, deadline - Date.now())),
        log,
      });
      log(
        'Checking the invariants against the tables, the gateway ledger and the idempotency records...',
      );
      snapshot = {
        ...normalizeTables(await scanTables(doc, env), prefix),
        ...(await scanLedgerAndIdempotency(doc, env, prefix)),
      };
    } finally {
      doc.destroy();
    }
    const { counts, violations } = checkInvariants(
      snapshot,
      plan.map(({ transactionId, orderId, userId }) => ({ transactionId, orderId, userId })),
    );
    const serviceKills = kills.length;
    if (serviceKills < options.kills) {
      violations.push({
        invariant: 'the run did what it claims',
        id: prefix,
        detail: `${serviceKills} of ${options.kills} kills done`,
      });
    }
    return {
      prefix,
      plan,
      requests: plan.reduce((sum, p) => sum + p.copies.length, 0),
      requestSeconds,
      kills,
      retries,
      finalStatuses,
      latency: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
      drain,
      counts,
      violations: [...answerViolations, ...violations],
    };
  } finally {
    await stopAll();
    rmSync(work, { recursive: true, force: true });
  }
}
