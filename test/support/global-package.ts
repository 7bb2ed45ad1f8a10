import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where `sls package --stage dev` wrote the template and the zips. */
    packageDir: string;
    /** `sls print` of every stage: serverless.yml with its variables resolved. */
    stageConfigs: Record<string, unknown>;
  }
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sls = path.join(root, 'node_modules', 'serverless', 'bin', 'serverless.js');
const run = promisify(execFile);

/** Runs sls under `timeout`: when the esbuild build fails, sls prints the error and never exits. */
async function serverless(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await run('timeout', ['300', process.execPath, sls, ...args], {
      cwd: root,
      env: { ...process.env, ...env, SLS_TELEMETRY_DISABLED: '1' },
      maxBuffer: 32 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const { code, stdout, stderr } = error as { code?: number; stdout?: string; stderr?: string };
    const why = code === 124 ? 'timed out after 300 s' : `exited with ${code}`;
    throw new Error(`sls ${args.join(' ')} ${why}:\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
}

/**
 * Package project: `sls package --stage dev` once, into a temporary directory
 * (its own esbuild work folder, so a running serverless-offline is not
 * disturbed), and `sls print` of every stage, with a shell that sets what a
 * developer's shell often does: the deployed stages must ignore it.
 */
export default async function setup(project: TestProject) {
  const packageDir = mkdtempSync(path.join(tmpdir(), 'lambda-payments-package-'));
  const workFolder = `.esbuild-package-${process.pid}`;
  const shell = {
    DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
    POWERTOOLS_DEV: 'true',
    SERVICE_BASE_URL: 'http://127.0.0.1:3000',
    AUTH_SIGNING_KEY_PAYMENT: 'shell-signing-key',
    AUTH_TRUSTED_KEYS: 'shell-trusted-keys',
    GATEWAY_WEBHOOK_SECRET: 'shell-webhook-secret',
  };
  const stages = ['local', 'test', 'dev', 'prod'];
  try {
    const [, ...printed] = await Promise.all([
      serverless(['package', '--stage', 'dev', '--package', packageDir], {
        ESBUILD_WORK_FOLDER: workFolder,
      }),
      ...stages.map((stage) => serverless(['print', '--format', 'json', '--stage', stage], shell)),
    ]);
    project.provide('packageDir', packageDir);
    project.provide(
      'stageConfigs',
      Object.fromEntries(stages.map((stage, i) => [stage, JSON.parse(printed[i] ?? '{}')])),
    );
  } catch (error) {
    rmSync(packageDir, { recursive: true, force: true });
    throw error;
  } finally {
    rmSync(path.join(root, workFolder), { recursive: true, force: true });
  }
  return () => rmSync(packageDir, { recursive: true, force: true });
}
