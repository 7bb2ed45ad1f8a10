// @ts-check
/**
 * Child process of `npm run bench`: imports one function bundle in this fresh
 * Node process and prints how long the import and the module's init took, as
 * one JSON line. Run as a file (not `node -e`, which defines `require` and
 * would hide a bundle that needs its createRequire banner).
 */
import { pathToFileURL } from 'node:url';

const file = process.argv[2];
if (!file) {
  process.stdout.write(
    `${JSON.stringify({ ok: false, error: 'usage: measure-init.mjs <bundle>' })}\n`,
  );
  process.exit(2);
}
const started = performance.now();
const cpuStarted = process.cpuUsage();
try {
  const module = await import(pathToFileURL(file).href);
  const ms = performance.now() - started;
  // CPU time (user + system) of this process: what a dedicated Lambda vCPU
  // would spend, unlike wall time, which a busy shared machine inflates.
  const cpu = process.cpuUsage(cpuStarted);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const exported = Object.values(module).some((v) => typeof v === 'function');
  process.stdout.write(
    `${JSON.stringify({ ok: exported, ms, cpuMs, error: exported ? undefined : 'no function exported' })}\n`,
  );
} catch (error) {
  process.stdout.write(
    `${JSON.stringify({ ok: false, ms: performance.now() - started, error: error instanceof Error ? error.message : String(error) })}\n`,
  );
}
