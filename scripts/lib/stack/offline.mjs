// @ts-check
/** serverless-offline as a child process: all three services on one HTTP API. */
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnTied, stopChild, waitUntil } from './process.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const slsBin = path.join(root, 'node_modules', 'serverless', 'bin', 'serverless.js');

/**
 * Starts `sls offline start` and resolves once its HTTP port answers.
 * @param {{
 *   stage: string,
 *   httpPort: number,
 *   lambdaPort: number,
 *   dynamoEndpoint: string,
 *   env?: NodeJS.ProcessEnv,
 *   logFile?: string,
 *   echo?: boolean,
 *   timeoutMs?: number,
 *   config?: string,
 *   detached?: boolean,
 *   onResolvedConfig?: (config: Record<string, any>) => void,
 * }} options `config`: another service file than serverless.yml (e.g. the bench's);
 *   `detached`: in a process group of its own, which {@link killGroup} can SIGKILL whole;
 *   `onResolvedConfig`: called with serverless.yml as offline resolved it (its
 *   provider and resources, scripts/serverless-resolved-config.cjs), before it bundles
 */
export async function startOffline(options) {
  const baseUrl = `http://127.0.0.1:${options.httpPort}`;
  const env = {
    ...process.env,
    ...options.env,
    HTTP_PORT: String(options.httpPort),
    LAMBDA_PORT: String(options.lambdaPort),
    SERVICE_BASE_URL: baseUrl,
    // The console's timeline reads the same file (serverless.yml, opsTimeline).
    TIMELINE_LOG_FILE: options.logFile ? path.resolve(options.logFile) : '',
    DYNAMODB_ENDPOINT: options.dynamoEndpoint,
    SLS_TELEMETRY_DISABLED: '1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
    AWS_REGION: process.env.AWS_REGION ?? 'eu-west-1',
    SLS_SEND_RESOLVED_CONFIG: options.onResolvedConfig ? '1' : '',
  };
  const child = spawnTied(
    process.execPath,
    [
      // e.g. OFFLINE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof": profiles of
      // serverless-offline and of each function's worker threads (Node refuses
      // --cpu-prof in NODE_OPTIONS).
      ...(process.env.OFFLINE_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? []),
      slsBin,
      'offline',
      'start',
      '--stage',
      options.stage,
      '--httpPort',
      String(options.httpPort),
      '--lambdaPort',
      String(options.lambdaPort),
      ...(options.config ? ['--config', options.config] : []),
    ],
    {
      cwd: root,
      env,
      detached: options.detached === true,
      stdio: /** @type {import('node:child_process').StdioOptions} */ ([
        'ignore',
        'pipe',
        'pipe',
        ...(options.onResolvedConfig ? ['ipc'] : []),
      ]),
    },
  );
  const onResolvedConfig = options.onResolvedConfig;
  if (onResolvedConfig) {
    child.on('message', (/** @type {any} */ message) => {
      if (message?.resolvedServerlessConfig) onResolvedConfig(message.resolvedServerlessConfig);
    });
  }
  const log = options.logFile ? logSink(options.logFile) : undefined;
  let tail = '';
  /** @param {Buffer} chunk */
  const onData = (chunk) => {
    const text = chunk.toString();
    tail = (tail + text).slice(-4000);
    log?.write(text);
    if (options.echo) process.stdout.write(text);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  try {
    await waitUntil(
      async () => {
        const response = await fetch(`${baseUrl}/__ready`, { signal: AbortSignal.timeout(1000) });
        await response.body?.cancel();
        return true;
      },
      {
        timeoutMs: options.timeoutMs ?? 60_000,
        intervalMs: 200,
        what: 'serverless-offline',
        abortIf: () =>
          child.exitCode !== null ? `exited with ${child.exitCode}:\n${tail}` : undefined,
      },
    );
  } catch (error) {
    await stopChild(child);
    await log?.end();
    throw error;
  }
  return {
    baseUrl,
    lambdaUrl: `http://127.0.0.1:${options.lambdaPort}`,
    pid: child.pid,
    child,
    output: () => tail,
    stop: async () => {
      await stopChild(child);
      await log?.end();
    },
  };
}

/**
 * Appends text to `file`. The child's output can still arrive after its
 * exit, once `end()` was called (its pipes drain after the 'exit' event):
 * that text is dropped, not written to an ended stream, whose 'error' event
 * would kill the process that started the stack.
 * @param {string} file
 */
export function logSink(file) {
  const stream = createWriteStream(file, { flags: 'a' });
  return {
    /** @param {string} text */
    write: (text) => {
      if (!stream.writableEnded) stream.write(text);
    },
    /** @returns {Promise<void>} once what was written is flushed */
    end: () => new Promise((resolve) => stream.end(resolve)),
  };
}

/**
 * SIGKILLs the whole process group of a child started with `detached` (every
 * function worker, every esbuild helper in it: a crash, not a shutdown) and
 * resolves once the child has gone.
 * @param {import('node:child_process').ChildProcess} child
 */
export function killGroup(child) {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
    return Promise.resolve();
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
  return exited.then(() => undefined);
}
