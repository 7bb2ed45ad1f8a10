import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { loadTemplate, resourcesOfType } from '../support/template.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const methods = ['get', 'put', 'post', 'delete', 'patch'] as const;

type Node = Record<string, any>;
interface Operation {
  routeKey: string;
  operation: Node;
  pathTemplate: string;
}

let spec: Node;
let operations: Operation[];
/** RouteKey → whether API Gateway puts the authorizer in front of it. */
let declaredRoutes: Map<string, boolean>;

beforeAll(() => {
  spec = parse(readFileSync(path.join(root, 'docs/openapi.yaml'), 'utf8'));
  operations = Object.entries(spec.paths as Record<string, Node>).flatMap(([p, item]) =>
    methods
      .filter((m) => item[m])
      .map((m) => ({ routeKey: `${m.toUpperCase()} ${p}`, operation: item[m], pathTemplate: p })),
  );
  const routes = resourcesOfType(loadTemplate(inject('packageDir')), 'AWS::ApiGatewayV2::Route');
  declaredRoutes = new Map(
    Object.values(routes).map((r) => [
      String(r.Properties?.RouteKey),
      r.Properties?.AuthorizationType === 'CUSTOM',
    ]),
  );
});

/** Follows a local `$ref` ('#/components/...'); throws when it points nowhere. */
function resolve(node: Node): Node {
  if (typeof node?.$ref !== 'string') return node;
  const target = node.$ref
    .replace(/^#\//, '')
    .split('/')
    .reduce((at: Node | undefined, key: string) => at?.[key], spec);
  if (target === undefined) throw new Error(`unresolved $ref ${node.$ref}`);
  return resolve(target);
}

/** Every `$ref` anywhere under `node`. */
function refs(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(refs);
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === '$ref' ? [String(value)] : refs(value),
  );
}

const responsesOf = (routeKey: string): Record<string, Node> => {
  const found = operations.find((o) => o.routeKey === routeKey);
  if (!found) throw new Error(`${routeKey} is not documented`);
  return Object.fromEntries(
    Object.entries(found.operation.responses as Record<string, Node>).map(([s, r]) => [
      s,
      resolve(r),
    ]),
  );
};

describe('docs/openapi.yaml', () => {
  it('is an OpenAPI 3.1 document whose references all resolve', () => {
    expect(spec.openapi).toMatch(/^3\.1\.\d+$/);
    for (const ref of refs(spec)) expect(() => resolve({ $ref: ref }), ref).not.toThrow();
  });

  it('documents every route that serverless.yml declares, and no other', () => {
    expect(operations.map((o) => o.routeKey).sort()).toEqual([...declaredRoutes.keys()].sort());
  });

  it('requires the service bearer token exactly where the authorizer guards the route', () => {
    expect(resolve(spec.components.securitySchemes.serviceToken)).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    expect(spec.security ?? []).toEqual([]);
    for (const { routeKey, operation } of operations) {
      const guarded = (operation.security ?? []).some((s: Node) => 'serviceToken' in s);
      expect(guarded, routeKey).toBe(declaredRoutes.get(routeKey));
      if (guarded) expect(Object.keys(operation.responses), routeKey).toContain('401');
    }
  });

  it('declares each path parameter of every route', () => {
    for (const { routeKey, operation, pathTemplate } of operations) {
      const declared = (operation.parameters ?? [])
        .map(resolve)
        .filter((p: Node) => p.in === 'path')
        .map((p: Node) => p.name);
      const inPath = [...pathTemplate.matchAll(/\{(\w+)\}/g)].map(([, name]) => name);
      expect(declared.sort(), routeKey).toEqual(inPath.sort());
    }
  });

  it('returns x-correlation-id on every response of every route', () => {
    for (const { routeKey } of operations) {
      for (const [status, response] of Object.entries(responsesOf(routeKey))) {
        expect(response.headers, `${routeKey} ${status}`).toHaveProperty('x-correlation-id');
      }
    }
  });

  it('describes every error with the one error format, { error: { code, message, details } }', () => {
    const error = resolve(spec.components.schemas.Error);
    expect(error.required).toEqual(['error']);
    expect(error.properties.error.required).toEqual(['code', 'message']);
    expect(Object.keys(error.properties.error.properties)).toEqual(['code', 'message', 'details']);
    for (const { routeKey } of operations) {
      const responses = responsesOf(routeKey);
      expect(Object.keys(responses), routeKey).toEqual(expect.arrayContaining(['400', '500']));
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) < 400) continue;
        expect(response.content['application/json'].schema, `${routeKey} ${status}`).toEqual({
          $ref: '#/components/schemas/Error',
        });
      }
    }
  });

  it('documents the JSON body rejections on every route that takes a body', () => {
    for (const { routeKey, operation } of operations.filter((o) => o.operation.requestBody)) {
      expect(Object.keys(operation.responses), routeKey).toEqual(
        expect.arrayContaining(['413', '415']),
      );
    }
  });

  it('documents the idempotency of POST /payments: replay header, 409 with Retry-After, 422', () => {
    const responses = responsesOf('POST /payments');
    expect(responses['201']?.headers).toHaveProperty('Idempotent-Replayed');
    expect(responses['409']?.headers).toHaveProperty('Retry-After');
    expect(responses['422']).toBeDefined();
    expect(resolve(responses['201']!.headers['Idempotent-Replayed']).schema.enum).toEqual(['true']);
  });

  it("requires the gateway's signature header on the callback, in its t=<unix>,v1=<hex> form", () => {
    const callback = operations.find((o) => o.routeKey === 'POST /payments/callback')!;
    const header = callback.operation.parameters
      .map(resolve)
      .find((p: Node) => p.in === 'header' && p.name === 'x-gateway-signature');
    expect(header?.required).toBe(true);
    const pattern = new RegExp(header.schema.pattern);
    expect(`t=1795510000,v1=${'ab'.repeat(32)}`).toMatch(pattern);
    expect(header.schema.example).toMatch(pattern);
    expect('v1=abc,t=1').not.toMatch(pattern);
  });
});
