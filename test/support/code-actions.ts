import { readFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

/** IAM actions of the DynamoDB document-client commands and transaction items (lib-dynamodb names). */
const DOCUMENT_ACTIONS: Record<string, string> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactGet: 'GetItem',
  ConditionCheck: 'ConditionCheckItem',
};

/** IAM prefixes of the X-Amz-Target services our code signs requests for itself (lib/http/ssm-parameters.ts). */
const TARGET_PREFIXES: Record<string, string> = { AmazonSSM: 'ssm' };

/**
 * The AWS actions one source file calls: each `new XCommand(` of an SDK
 * client it imports, each `X-Amz-Target` of a request it signs itself, and
 * the Lambda Invoke API's path (REST, no target: lib/http/lambda-invoke.ts).
 */
function actionsIn(code: string): string[] {
  const signed = [...code.matchAll(/['"](AmazonSSM)\.(\w+)['"]/g)].map(
    ([, service, operation]) => `${TARGET_PREFIXES[service!]}:${operation}`,
  );
  if (/[`'"]\/2015-03-31\/functions\/\$\{[^}]+\}\/invocations[`'"]/.test(code)) {
    signed.push('lambda:InvokeFunction');
  }
  const services = [...code.matchAll(/['"]@aws-sdk\/(?:client-|lib-)(\w+)['"]/g)].map((m) => m[1]);
  if (services.length === 0) return signed;
  const prefix = services.includes('dynamodb') ? 'dynamodb' : services[0]!;
  const actions = new Set<string>();
  for (const [, command] of code.matchAll(/\bnew (\w+?)Command\(/g)) {
    if (command === 'TransactWrite' || command === 'TransactWriteItems') {
      // Authorised item by item: the kinds of item the transaction holds.
      for (const [, item] of code.matchAll(/\b(Put|Update|Delete|ConditionCheck):\s*\{/g)) {
        actions.add(`dynamodb:${DOCUMENT_ACTIONS[item!]}`);
      }
      continue;
    }
    const action = prefix === 'dynamodb' ? (DOCUMENT_ACTIONS[command!] ?? command) : command;
    actions.add(`${prefix}:${action}`);
  }
  return [...actions, ...signed];
}

/**
 * The AWS actions each function's code can call, read from the code it
 * bundles: esbuild bundles every handler as `sls package` does (tree-shaken),
 * and each file that ends up in a bundle (ours, and the Powertools packages
 * that call AWS for us, such as the idempotency persistence layer) is
 * scanned for the SDK commands it sends. Files that tree-shaking drops do not
 * count: a function is not granted what it merely imports.
 */
export async function actionsCalledByFunctions(
  root: string,
  handlers: Record<string, string>,
): Promise<Record<string, string[]>> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: handlers,
    bundle: true,
    treeShaking: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    mainFields: ['module', 'main'],
    outdir: 'out',
    // The console's built page and script (text, no AWS call; scripts/esbuild-plugins.cjs).
    external: ['virtual:console-assets'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const cache = new Map<string, string[]>();
  const byFunction: Record<string, string[]> = {};
  for (const [output, meta] of Object.entries(result.metafile.outputs)) {
    if (!meta.entryPoint || !output.endsWith('.js')) continue;
    const fn = path.basename(output, '.js');
    const actions = new Set<string>();
    for (const [input, { bytesInOutput }] of Object.entries(meta.inputs)) {
      if (bytesInOutput === 0) continue;
      // node_modules may be a link (a git worktree): esbuild then names the real path.
      if (!/^(lib|functions)\/|(^|\/)node_modules\/@aws-lambda-powertools\//.test(input)) continue;
      let found = cache.get(input);
      if (!found) {
        found = actionsIn(readFileSync(path.join(root, input), 'utf8'));
        cache.set(input, found);
      }
      for (const action of found) actions.add(action);
    }
    byFunction[fn] = [...actions].sort();
  }
  return byFunction;
}
