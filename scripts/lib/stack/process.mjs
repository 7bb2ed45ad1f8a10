// @ts-check
/**
 * Child processes that cannot outlive us: on Linux every child is started under
 * `setpriv --pdeathsig SIGTERM`, so a crashed or SIGKILLed parent still takes its
 * DynamoDB Local and serverless-offline with it. Elsewhere we rely on stop().
 */
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';

const hasSetpriv =
  process.platform === 'linux' &&
  spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * Spawns a child process that dies with this one.
 * @param {string} command
 * @param {string[]} args
 * @param {import('node:child_process').SpawnOptions} [options]
 */
export function spawnTied(command, args, options = {}) {
  const [cmd, argv] = hasSetpriv
    ? ['setpriv', ['--pdeathsig', 'SIGTERM', '--', command, ...args]]
    : [command, args];
  return spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

/**
 * Stops a child: SIGTERM, then SIGKILL after `graceMs`. Resolves once it has exited.
 * @param {import('node:child_process').ChildProcess | undefined} child
 * @param {number} [graceMs]
 */
export function stopChild(child, graceMs = 5000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    child.kill('SIGTERM');
  });
}

/** Resolves with a TCP port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Throws a clear error when something already listens on `port`.
 * @param {number} port
 * @param {string} what
 */
export async function assertPortFree(port, what) {
  const inUse = await new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
  if (inUse) {
    throw new Error(
      `Port ${port} (${what}) is already taken: is another \`npm start\` running? ` +
        'Stop it, or choose other ports with HTTP_PORT / LAMBDA_PORT.',
    );
  }
}

/**
 * Polls `probe` until it resolves true, or throws after `timeoutMs`.
 * @param {() => Promise<boolean>} probe
 * @param {{ timeoutMs: number, what: string, intervalMs?: number, abortIf?: () => string | undefined }} options
 */
export async function waitUntil(probe, { timeoutMs, what, intervalMs = 100, abortIf }) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const reason = abortIf?.();
    if (reason) throw new Error(`${what} failed to start: ${reason}`);
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`${what} was not ready after ${timeoutMs} ms`);
}
