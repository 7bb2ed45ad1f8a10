// @ts-check
/**
 * AWS's DynamoDB Local, fetched from the npm registry on first use.
 *
 * The jar is not published on its own; `amplify-dynamodb-simulator` carries it in
 * `emulator/`. We `npm pack` a pinned version, verify the tarball and jar against
 * pinned SHA-256 sums, and extract only `emulator/` into `.cache/` (git-ignored:
 * the jar's licence forbids redistribution, so it is never committed).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, spawnTied, stopChild, waitUntil } from './process.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PACKAGE = 'amplify-dynamodb-simulator';
const VERSION = '2.9.30';
const TARBALL_SHA256 = '3503ffac19f183407909fecdacf4db51ab1fdad1da7b2f177016670b2d80e4b9';
const JAR_SHA256 = '454305e9bc3e6ebcca5b62569869e31563b8d7e346474e94557b2600702146c7';

/** Where the verified emulator lives. */
export const emulatorDir = path.join(root, '.cache', `dynamodb-local-${VERSION}`);

/** @param {string} file */
function sha256(file) {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

/** Throws with install instructions unless Java 17+ is on the PATH. */
export function assertJava() {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new Error(
      'DynamoDB Local needs Java 17 or newer, and `java` was not found on the PATH.\n' +
        '  Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless\n' +
        '  macOS:         brew install openjdk@17\n' +
        'Or point the services at another DynamoDB with DYNAMODB_ENDPOINT=http://host:port (no Java needed).',
    );
  }
  const match = /version "(\d+)/.exec(result.stderr);
  const major = match ? Number(match[1]) : 0;
  if (major < 17) {
    throw new Error(
      `DynamoDB Local needs Java 17 or newer; found Java ${major}. Install openjdk-17.`,
    );
  }
}

/** @type {Promise<string> | undefined} */
let fetching;

/**
 * Downloads, verifies and extracts DynamoDB Local once; returns its folder.
 * Concurrent callers in one process share one download.
 */
export function ensureEmulator() {
  fetching ??= fetchEmulator().finally(() => {
    fetching = undefined;
  });
  return fetching;
}

async function fetchEmulator() {
  const jar = path.join(emulatorDir, 'DynamoDBLocal.jar');
  if (existsSync(jar)) return emulatorDir;
  const work = path.join(root, '.cache', `download-${process.pid}-${Date.now().toString(36)}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    process.stderr.write(
      `Fetching DynamoDB Local (${PACKAGE}@${VERSION}, ~57 MB) into .cache/ ...\n`,
    );
    let tarball;
    try {
      const out = execFileSync('npm', ['pack', `${PACKAGE}@${VERSION}`, '--silent'], {
        cwd: work,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      tarball = path.join(work, out.trim().split('\n').pop() ?? '');
    } catch (error) {
      throw new Error(
        `Could not download DynamoDB Local with \`npm pack ${PACKAGE}@${VERSION}\`: ${String(error)}\n` +
          'Check that the npm registry is reachable (npm config get registry), ' +
          'or set DYNAMODB_ENDPOINT to a DynamoDB you already run.',
      );
    }
    const tarSum = await sha256(tarball);
    if (tarSum !== TARBALL_SHA256) {
      throw new Error(
        `Checksum mismatch for ${path.basename(tarball)}: got ${tarSum}, want ${TARBALL_SHA256}`,
      );
    }
    execFileSync('tar', ['-xzf', tarball, '-C', work, 'package/emulator'], { stdio: 'inherit' });
    const extracted = path.join(work, 'package', 'emulator');
    const jarSum = await sha256(path.join(extracted, 'DynamoDBLocal.jar'));
    if (jarSum !== JAR_SHA256) {
      throw new Error(`Checksum mismatch for DynamoDBLocal.jar: got ${jarSum}, want ${JAR_SHA256}`);
    }
    // Another process may have finished first: its verified copy is as good as ours.
    if (!existsSync(jar)) {
      rmSync(emulatorDir, { recursive: true, force: true });
      renameSync(extracted, emulatorDir);
    }
    return emulatorDir;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * True once DynamoDB answers an unsigned ListTables.
 * @param {string} endpoint
 */
export async function dynamoAnswers(endpoint) {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.ListTables',
      authorization:
        'AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x',
    },
    body: '{}',
    signal: AbortSignal.timeout(1000),
  });
  return response.status === 200;
}

/**
 * Starts DynamoDB Local on a free port (or `port`): in memory, or on disk in
 * `dbPath` (created if needed) so that its data outlives the process.
 * @param {{ port?: number, quiet?: boolean, dbPath?: string }} [options]
 * @returns {Promise<{ endpoint: string, port: number, pid: number | undefined, dbPath?: string,
 *   child: import('node:child_process').ChildProcess, stop: () => Promise<void> }>}
 */
export async function startDynamoDbLocal(options = {}) {
  assertJava();
  const dir = await ensureEmulator();
  const port = options.port ?? /** @type {number} */ (await freePort());
  if (options.dbPath) mkdirSync(options.dbPath, { recursive: true });
  const child = spawnTied(
    'java',
    [
      '-Xmx256m',
      // The quick JIT only: C2's compiler threads took ~2.5 of the ~6 s of CPU
      // a start costs, on the cores serverless-offline is bundling on. Warm
      // throughput measured the same (~550 transactions/s from 4 clients).
      '-XX:TieredStopAtLevel=1',
      `-Djava.library.path=${path.join(dir, 'DynamoDBLocal_lib')}`,
      '-jar',
      path.join(dir, 'DynamoDBLocal.jar'),
      ...(options.dbPath ? ['-dbPath', options.dbPath] : ['-inMemory']),
      '-sharedDb',
      '-disableTelemetry',
      '-port',
      String(port),
    ],
    { cwd: dir },
  );
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntil(() => dynamoAnswers(endpoint), {
      timeoutMs: 90_000, // a busy 2-core machine can take long to start a JVM
      what: 'DynamoDB Local',
      abortIf: () =>
        child.exitCode !== null
          ? `exited with ${child.exitCode}: ${output.slice(-500)}`
          : undefined,
    });
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return {
    endpoint,
    port,
    pid: child.pid,
    dbPath: options.dbPath,
    child,
    stop: () => stopChild(child),
  };
}
