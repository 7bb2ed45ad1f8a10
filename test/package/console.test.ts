import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { buildConsoleAssets } from '../../scripts/lib/ops/console-build.mjs';
import {
  functionsByName,
  loadTemplate,
  OPERATOR_ROUTES,
  resourcesOfType,
  type Template,
} from '../support/template.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let template: Template;
beforeAll(() => {
  template = loadTemplate(inject('packageDir'));
});

describe('The operations console in the AWS template', () => {
  it('puts IAM (SigV4) in front of every operator route, and of no other', () => {
    const routes = Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Route'));
    const iam = routes
      .filter((r) => r.Properties?.AuthorizationType === 'AWS_IAM')
      .map((r) => String(r.Properties?.RouteKey));
    expect(iam.sort()).toEqual([...OPERATOR_ROUTES].sort());
  });

  it('documents the operator routes with the SigV4 scheme in docs/openapi.yaml', () => {
    const spec = parse(readFileSync(path.join(root, 'docs/openapi.yaml'), 'utf8'));
    for (const key of OPERATOR_ROUTES) {
      const [method, route] = key.split(' ') as [string, string];
      const operation = spec.paths[route]?.[method.toLowerCase()];
      expect(operation?.security, key).toEqual([{ operatorSigV4: [] }]);
    }
  });

  it('points the timeline at CloudWatch Logs, not a local file', () => {
    const env = functionsByName(template).opsTimeline?.Properties?.Environment?.Variables;
    expect(env?.TIMELINE_LOG_FILE).toBe('');
    expect(JSON.stringify(env?.TIMELINE_LOG_GROUPS)).toContain('PaymentCreateLogGroup');
  });
});

describe('The console bundle', () => {
  it('is one small script, one stylesheet and a page that loads nothing from elsewhere', async () => {
    const { html, script, stylesheet } = await buildConsoleAssets();
    expect(script.length).toBeLessThan(40_000);
    expect(stylesheet.length).toBeLessThan(10_000);
    expect(html).not.toMatch(/https?:\/\//);
    expect(stylesheet).not.toMatch(/@import|url\(|@font-face/);
    expect(script).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
  });
});
