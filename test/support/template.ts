import { readFileSync } from 'node:fs';
import path from 'node:path';

/** One CloudFormation resource of the packaged template. */
export interface Resource {
  Type: string;
  Properties?: Record<string, any>;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
}

/** The packaged CloudFormation template (`cloudformation-template-update-stack.json`). */
export interface Template {
  Resources: Record<string, Resource>;
}

/** One IAM policy statement, as written in the template. */
export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** Reads the template that `sls package` wrote into `dir`. */
export function loadTemplate(dir: string): Template {
  return JSON.parse(
    readFileSync(path.join(dir, 'cloudformation-template-update-stack.json'), 'utf8'),
  );
}

/** The resources of one type, by logical id. */
export function resourcesOfType(template: Template, type: string): Record<string, Resource> {
  return Object.fromEntries(Object.entries(template.Resources).filter(([, r]) => r.Type === type));
}

/** Lambda functions by their serverless.yml name (`lambda-payments-dev-orderCreate` → `orderCreate`). */
export function functionsByName(
  template: Template,
): Record<string, Resource & { logicalId: string }> {
  return Object.fromEntries(
    Object.entries(resourcesOfType(template, 'AWS::Lambda::Function')).map(([logicalId, r]) => [
      String(r.Properties?.FunctionName).replace(/^lambda-payments-[a-z]+-/, ''),
      { ...r, logicalId },
    ]),
  );
}

/** Logical ids that `value` refers to (Ref, Fn::GetAtt, Fn::Sub), pseudo parameters left out. */
export function referencedIds(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedIds(item, into);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'Ref' && typeof inner === 'string') into.add(inner);
      else if (key === 'Fn::GetAtt') {
        into.add(Array.isArray(inner) ? String(inner[0]) : String(inner).split('.')[0]!);
      } else if (key === 'Fn::Sub') {
        const text = Array.isArray(inner) ? String(inner[0]) : String(inner);
        for (const [, name] of text.matchAll(/\$\{([^}!]+)\}/g)) into.add(name!.split('.')[0]!);
        if (Array.isArray(inner)) referencedIds(inner[1], into);
      } else referencedIds(inner, into);
    }
  }
  for (const id of into) if (id.startsWith('AWS::')) into.delete(id);
  return into;
}

/** The first cycle in the dependency graph of the template (refs and DependsOn), if any. */
export function findDependencyCycle(template: Template): string[] | undefined {
  const edges = new Map<string, string[]>();
  for (const [id, resource] of Object.entries(template.Resources)) {
    const deps = referencedIds(resource.Properties);
    for (const d of [resource.DependsOn ?? []].flat()) deps.add(d);
    edges.set(id, [...deps]);
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, trail: string[]): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...trail.slice(trail.indexOf(id)), id];
    state.set(id, 'visiting');
    for (const next of edges.get(id) ?? []) {
      const cycle = visit(next, [...trail, id]);
      if (cycle) return cycle;
    }
    state.set(id, 'done');
    return undefined;
  };
  for (const id of edges.keys()) {
    const cycle = visit(id, []);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Every statement of the inline policies of an IAM role. */
export function roleStatements(role: Resource): Statement[] {
  return (role.Properties?.Policies ?? []).flatMap(
    (policy: { PolicyDocument: { Statement: Statement[] } }) => policy.PolicyDocument.Statement,
  );
}

/** `value` as an array (IAM accepts a string or a list for Action and Resource). */
export function asList<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

/** The operations console and its data (docs/console.md): operator routes, IAM-authorized in AWS, never public. */
export const OPERATOR_ROUTES = [
  'GET /console',
  'GET /console/{asset}',
  'GET /payments',
  'GET /outbox',
  'GET /pulse',
  'POST /payments/{transactionId}/redrive',
  'POST /payments/{transactionId}/void',
  'GET /logs/{correlationId}',
];
