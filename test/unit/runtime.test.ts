import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// The Node everything local runs on is Lambda's: the devDependency `node`
// (the registry's Node binaries), first on PATH under every npm script.

describe("Runtime: the local one is Lambda's", () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  // CloudFormation's tags (!Ref, !GetAtt) stay unresolved: only provider and custom are read.
  const service = parse(readFileSync('serverless.yml', 'utf8'), { logLevel: 'error' });
  const lambdaRuntime: string = service.provider.runtime;
  const lambdaMajor = lambdaRuntime.match(/^nodejs(\d+)\.x$/)?.[1];

  it('pins the devDependency node to the major of the Lambda runtime', () => {
    expect(lambdaMajor).toBeDefined();
    expect(pkg.devDependencies.node.split('.')[0]).toBe(lambdaMajor);
  });

  it('bundles the functions for that Node', () => {
    expect(service.custom.esbuild.target).toBe(`node${lambdaMajor}`);
  });

  it('runs the tests on that Node (npm test puts node_modules/.bin first on PATH)', () => {
    expect(process.versions.node).toBe(pkg.devDependencies.node);
  });
});
