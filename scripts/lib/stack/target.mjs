// @ts-check
/**
 * The stack the demo, bench and chaos scripts run against: the one named by
 * BASE_URL (with LAMBDA_URL, DYNAMODB_ENDPOINT, STAGE and LOG_FILE describing
 * the rest of it), or a fresh one of their own on free ports that is stopped
 * when they finish, fail or are interrupted, so nothing is left behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDevKeys } from './keys.mjs';
import { freePort } from './process.mjs';
import { functionEnvironment, startStack } from './stack.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * @typedef {{
 *   baseUrl: string,
 *   lambdaUrl: string | undefined,
 *   stage: string,
 *   dynamoEndpoint: string | undefined,
 *   env: Record<string, string>,
 *   logFile: string | undefined,
 *   own: boolean,
 *   pids?: { offline?: number, dynamodb?: number },
 *   stop: () => Promise<void>,
 *   keepLogs?: (why: string) => void,
 * }} Target
 */

/**
 * True for a stack on this machine (whose tables need its DynamoDB endpoint).
 * @param {string} url
 */
export function isLocalUrl(url) {
  return /^https?:\/\/(127\.0\.0\.1|localhost)(:|\/|$)/.test(url);
}

/** @type {Set<() => Promise<void>>} */
const cleanups = new Set();
let signalsHooked = false;

/** Ctrl-C or SIGTERM: stop what we started, then exit 130/143. */
function hookSignals() {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const [signal, code] of /** @type {const} */ ([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ])) {
    process.on(signal, () => {
      process.stderr.write(`\n${signal}: stopping the local stack...\n`);
      Promise.allSettled([...cleanups].map((stop) => stop())).finally(() => process.exit(code));
    });
  }
}

/**
 * Registers `stop` to run on Ctrl-C/SIGTERM until it is called once.
 * @param {() => Promise<void>} stop
 */
export function stopOnSignal(stop) {
  hookSignals();
  let done = false;
  const once = async () => {
    if (done) return;
    done = true;
    cleanups.delete(once);
    await stop();
  };
  cleanups.add(once);
  return once;
}

/**
 * Connects to BASE_URL's stack or starts a private one.
 * @param {{
 *   env?: NodeJS.ProcessEnv,
 *   stage?: string,
 *   say?: (line: string) => void,
 *   startOptions?: Record<string, unknown>,
 *   dynamoEndpoint?: string,
 * }} [options]
 * @returns {Promise<Target>}
 */
export async function connectOrStart(options = {}) {
  const env = options.env ?? process.env;
  const say = options.say ?? ((line) => process.stderr.write(`${line}\n`));
  if (env.BASE_URL) {
    const stage = env.STAGE || 'local';
    const dynamoEndpoint = env.DYNAMODB_ENDPOINT || undefined;
    const fnEnv = await functionEnvironment(stage, dynamoEndpoint ?? '');
    const local = isLocalUrl(env.BASE_URL);
    const lambdaUrl = env.LAMBDA_URL || (local ? 'http://127.0.0.1:3002' : undefined);
    const logFile = env.LOG_FILE || (local ? path.join(root, '.logs', 'local.log') : undefined);
    say(`Using the stack at ${env.BASE_URL} (stage ${stage}).`);
    return {
      baseUrl: env.BASE_URL.replace(/\/$/, ''),
      lambdaUrl,
      stage,
      dynamoEndpoint,
      env: fnEnv,
      logFile,
      own: false,
      stop: async () => undefined,
    };
  }
  const stage = options.stage ?? 'test';
  const logDir = mkdtempSync(path.join(tmpdir(), 'lambda-payments-run-'));
  const logFile = path.join(logDir, 'offline.log');
  // Its own service key pairs, like the e2e tests: nothing shared with `npm start`'s .keys/.
  const keyEnv = await ensureDevKeys(path.join(logDir, 'keys'));
  say(`Starting a private ${stage} stack (DynamoDB Local + serverless-offline on free ports)...`);
  const started = Date.now();
  const httpPort = await freePort();
  const lambdaPort = await freePort();
  // Until startStack resolves, a Ctrl-C is handled by the children dying with us (pdeathsig).
  const stack = await startStack({
    stage,
    httpPort,
    lambdaPort,
    endpoint: options.dynamoEndpoint ?? (env.DYNAMODB_ENDPOINT || undefined),
    logFile,
    env: keyEnv,
    ...options.startOptions,
  }).catch((/** @type {unknown} */ error) => {
    rmSync(logDir, { recursive: true, force: true });
    throw error;
  });
  /** Why the log outlives the run (KEEP_LOGS, or a run that asked: a broken promise), if it does. */
  let keptFor = /^(1|true)$/i.test(env.KEEP_LOGS ?? '') ? 'KEEP_LOGS' : undefined;
  const stop = stopOnSignal(async () => {
    await stack.stop();
    // The run's dev keys never outlive it; its log may, for a post-mortem.
    rmSync(keptFor ? path.join(logDir, 'keys') : logDir, { recursive: true, force: true });
    if (keptFor) say(`Logs kept (${keptFor}): ${logFile}`);
  });
  try {
    const fnEnv = await functionEnvironment(stage, stack.db.endpoint);
    say(
      `Stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s at ${stack.offline.baseUrl}.`,
    );
    return {
      baseUrl: stack.offline.baseUrl,
      lambdaUrl: stack.offline.lambdaUrl,
      stage,
      dynamoEndpoint: stack.db.endpoint,
      env: fnEnv,
      logFile,
      own: true,
      // Processes of this machine whose CPU the bench attributes (`npm run bench`).
      pids: { offline: stack.offline.pid, dynamodb: stack.db.pid },
      stop,
      keepLogs: (why) => {
        keptFor ??= why;
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
