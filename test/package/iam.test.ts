import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import {
  asList,
  functionsByName,
  loadTemplate,
  referencedIds,
  roleStatements,
  type Statement,
  type Template,
} from '../support/template.js';

/** The tables each function may reach: its own service's, and only those it uses. */
const tablesByFunction: Record<string, string[]> = {
  orderCreate: ['OrderAuditTable', 'OrdersTable'],
  orderGet: ['OrderAuditTable', 'OrdersTable'],
  orderHistory: ['OrderAuditTable', 'OrdersTable'],
  orderUpdateStatus: ['OrderAuditTable', 'OrdersTable'],
  paymentCreate: ['ChargesTable', 'IdempotencyTable', 'PaymentsTable'],
  paymentCallback: ['ChargesTable', 'IdempotencyTable', 'PaymentsTable'],
  paymentGet: ['ChargesTable', 'PaymentsTable'],
  // The charges table for the charge reconciler, which runs before each relay pass.
  paymentRelay: ['ChargesTable', 'PaymentsTable'],
  notificationSend: ['NotificationsTable'],
  notificationList: ['NotificationsTable'],
  internalAuthorizer: [],
  // The operator routes (docs/console.md): the payment service's own tables only.
  paymentList: ['ChargesTable', 'PaymentsTable'],
  paymentOutboxHealth: ['ChargesTable', 'PaymentsTable'],
  paymentRedrive: ['PaymentsTable'],
  opsTimeline: [],
  console: [],
};

/** Functions behind public GET routes: they read and never write. */
const readOnly = [
  'orderGet',
  'orderHistory',
  'paymentGet',
  'notificationList',
  'paymentList',
  'paymentOutboxHealth',
];
/** Actions that have no resource-level permission, so "*" is their only resource. */
const resourceless = /^(xray:|logs:GetQueryResults$)/;
/** Functions that sign or verify service tokens with keys from SSM. */
const keyReaders = ['paymentCreate', 'paymentCallback', 'paymentRelay', 'internalAuthorizer'];
const readActions = ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'];

/** Who may delete an item, and why: nobody else can. */
const deleters: Record<string, string[]> = {
  // The Powertools persistence layer deletes a record when the wrapped work fails.
  IdempotencyTable: ['paymentCreate', 'paymentCallback'],
  // A send whose channel fails releases its claims so that the outbox can retry.
  NotificationsTable: ['notificationSend'],
};

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The IAM action of each DynamoDB command (document and low-level client) and transaction item. */
const commandActions: Record<string, string[]> = {
  Get: ['dynamodb:GetItem'],
  GetItem: ['dynamodb:GetItem'],
  Put: ['dynamodb:PutItem'],
  PutItem: ['dynamodb:PutItem'],
  Update: ['dynamodb:UpdateItem'],
  UpdateItem: ['dynamodb:UpdateItem'],
  Delete: ['dynamodb:DeleteItem'],
  DeleteItem: ['dynamodb:DeleteItem'],
  Query: ['dynamodb:Query'],
  Scan: ['dynamodb:Scan'],
  BatchGet: ['dynamodb:BatchGetItem'],
  BatchGetItem: ['dynamodb:BatchGetItem'],
  BatchWrite: ['dynamodb:BatchWriteItem'],
  BatchWriteItem: ['dynamodb:BatchWriteItem'],
  TransactGet: ['dynamodb:GetItem'],
  TransactGetItems: ['dynamodb:GetItem'],
  ConditionCheck: ['dynamodb:ConditionCheckItem'],
};

/** The DynamoDB actions that the source of one service (lib/<service>/) calls. */
function actionsCalledBy(service: string): string[] {
  const dir = path.join(root, 'lib', service);
  let files: string[];
  try {
    files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.ts'),
    );
  } catch {
    return []; // the service has not landed yet
  }
  const actions = new Set<string>();
  for (const file of files) {
    const code = readFileSync(path.join(dir, file), 'utf8');
    for (const [, command] of code.matchAll(/\bnew (\w+?)Command\b/g)) {
      for (const action of commandActions[command!] ?? []) actions.add(action);
    }
    // The items of TransactWriteItems are authorised one by one.
    if (/TransactWrite/.test(code)) {
      for (const [, item] of code.matchAll(/\b(Put|Update|Delete|ConditionCheck):\s*\{/g)) {
        for (const action of commandActions[item!] ?? []) actions.add(action);
      }
    }
  }
  return [...actions].sort();
}

let template: Template;
let functions: ReturnType<typeof functionsByName>;

beforeAll(() => {
  template = loadTemplate(inject('packageDir'));
  functions = functionsByName(template);
});

/** The statements of the role a function runs under. */
function statementsOf(fn: string): Statement[] {
  const roleRef = functions[fn]?.Properties?.Role;
  const [roleId] = roleRef['Fn::GetAtt'] as [string, string];
  const role = template.Resources[roleId];
  expect(role?.Type, `${fn}'s role ${roleId}`).toBe('AWS::IAM::Role');
  return roleStatements(role!);
}

const actionsOf = (statements: Statement[], prefix: string) =>
  statements.flatMap((s) => asList(s.Action)).filter((a) => a.startsWith(prefix));

describe('IAM of the packaged template', () => {
  it('declares every function it expects, and no other', () => {
    expect(Object.keys(functions).sort()).toEqual(Object.keys(tablesByFunction).sort());
  });

  it('gives every function a role of its own group instead of the shared default role', () => {
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
    for (const [name, fn] of Object.entries(functions)) {
      expect(fn.Properties?.Role, name).toHaveProperty(['Fn::GetAtt', 1], 'Arn');
    }
  });

  it('lets only Lambda assume the function roles', () => {
    const roles = new Set(
      Object.values(functions).map((fn) => fn.Properties?.Role['Fn::GetAtt'][0] as string),
    );
    for (const id of roles) {
      const trust = template.Resources[id]?.Properties?.AssumeRolePolicyDocument;
      expect(trust.Statement, id).toEqual([
        {
          Effect: 'Allow',
          Principal: { Service: 'lambda.amazonaws.com' },
          Action: 'sts:AssumeRole',
        },
      ]);
    }
  });

  it.each(Object.keys(tablesByFunction))(
    'limits %s to the tables of its own service that it uses',
    (fn) => {
      const tables = statementsOf(fn)
        .filter((s) => asList(s.Action).some((a) => a.startsWith('dynamodb:')))
        .flatMap((s) => [...referencedIds(s.Resource)]);
      expect([...new Set(tables)].sort()).toEqual(tablesByFunction[fn]);
    },
  );

  it('grants no wildcard action and no "*" resource except for actions without resource-level permissions (X-Ray, Logs Insights results)', () => {
    for (const fn of Object.keys(functions)) {
      for (const statement of statementsOf(fn)) {
        expect(statement.Effect).toBe('Allow');
        for (const action of asList(statement.Action)) {
          expect(action, `${fn}: ${action}`).not.toMatch(/\*/);
        }
        if (asList(statement.Resource).includes('*')) {
          expect(
            asList(statement.Action).every((a) => resourceless.test(a)),
            fn,
          ).toBe(true);
        }
      }
    }
  });

  it('never grants Scan, table administration or batch writes', () => {
    const forbidden = /^dynamodb:(Scan|BatchWriteItem|.*Table.*|PartiQL.*)$/;
    for (const fn of Object.keys(functions)) {
      for (const action of actionsOf(statementsOf(fn), 'dynamodb:')) {
        expect(action, `${fn}: ${action}`).not.toMatch(forbidden);
      }
    }
  });

  it('lets only the functions that release records delete them, on their own table', () => {
    for (const fn of Object.keys(functions)) {
      for (const statement of statementsOf(fn)) {
        if (!asList(statement.Action).includes('dynamodb:DeleteItem')) continue;
        for (const table of referencedIds(statement.Resource)) {
          expect(deleters[table] ?? [], `${fn} may delete from ${table}`).toContain(fn);
        }
      }
    }
  });

  it.each([
    ['order', 'order'],
    ['payment', 'payment'],
    ['notification', 'notification'],
  ])('grants the %s functions every DynamoDB action that lib/%s calls', (service) => {
    const granted = new Set(
      Object.keys(functions)
        .filter((fn) => fn.startsWith(service))
        .flatMap((fn) => actionsOf(statementsOf(fn), 'dynamodb:')),
    );
    for (const action of actionsCalledBy(service)) {
      expect([...granted], `lib/${service} calls ${action}`).toContain(action);
    }
  });

  it.each(readOnly)('lets %s (a public read) only read', (fn) => {
    for (const action of actionsOf(statementsOf(fn), 'dynamodb:')) {
      expect(readActions, `${fn}: ${action}`).toContain(action);
    }
  });

  it('lets the relay query the outbox-due index and update events, and its reconciler finish abandoned charges', () => {
    const statements = statementsOf('paymentRelay');
    const resources = JSON.stringify(statements.map((s) => s.Resource));
    expect(resources).toContain('outbox-due');
    expect(resources).toContain('charges-unfinalized');
    expect([...new Set(actionsOf(statements, 'dynamodb:'))].sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
  });

  it('lets the reconciler put only payments (the finalizing transaction), never a charge', () => {
    const puts = statementsOf('paymentRelay').filter((s) =>
      asList(s.Action).includes('dynamodb:PutItem'),
    );
    expect(puts.flatMap((s) => [...referencedIds(s.Resource)])).toEqual(['PaymentsTable']);
  });

  it('gives the charges table the sparse index the reconciler reads, keyed by marker and creation time', () => {
    const charges = Object.values(template.Resources).find(
      (r) => r.Type === 'AWS::DynamoDB::Table' && JSON.stringify(r).includes('charges-unfinalized'),
    );
    expect(charges?.Properties?.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'charges-unfinalized',
        KeySchema: [
          { AttributeName: 'unfinalized', KeyType: 'HASH' },
          { AttributeName: 'createdAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ]);
  });

  it('gives the idempotency table exactly what the Powertools persistence layer calls', () => {
    const onIdempotency = statementsOf('paymentCreate').filter((s) =>
      referencedIds(s.Resource).has('IdempotencyTable'),
    );
    expect(onIdempotency.flatMap((s) => asList(s.Action)).sort()).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
  });

  it.each(Object.keys(tablesByFunction))('lets %s write to its own log group only', (fn) => {
    const logs = statementsOf(fn).filter((s) =>
      asList(s.Action).some((a) => /^logs:(Create|Put)/.test(a)),
    );
    expect(logs.flatMap((s) => asList(s.Action)).sort()).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    const groups = logs.flatMap((s) => [...referencedIds(s.Resource)]);
    expect(groups).toContain(`${functions[fn]!.logicalId.replace(/LambdaFunction$/, '')}LogGroup`);
    for (const group of groups) expect(template.Resources[group]?.Type).toBe('AWS::Logs::LogGroup');
  });

  it('lets every function send traces', () => {
    for (const fn of Object.keys(functions)) {
      expect(actionsOf(statementsOf(fn), 'xray:'), fn).toEqual(
        expect.arrayContaining(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']),
      );
    }
  });

  it('lets the token signers read only their own signing key, and the authorizer only public keys', () => {
    const keyPath = ':parameter/lambda-payments/dev/auth/';
    for (const fn of Object.keys(functions)) {
      const ssm = statementsOf(fn).filter((s) =>
        asList(s.Action).some((a) => a.startsWith('ssm:')),
      );
      if (!keyReaders.includes(fn)) {
        expect(ssm, fn).toEqual([]);
        continue;
      }
      expect(
        ssm.flatMap((s) => asList(s.Action)),
        fn,
      ).toEqual(['ssm:GetParameter']);
      const resources = ssm.flatMap((s) => asList(s.Resource)).map((r) => JSON.stringify(r));
      const expected =
        fn === 'internalAuthorizer' ? `${keyPath}*/public-keys"` : `${keyPath}payment/signing-key"`;
      expect(resources.length, fn).toBe(1);
      expect(resources[0], fn).toContain(expected);
    }
  });

  it('grants no KMS permission: the keys use the AWS managed key of SSM', () => {
    for (const fn of Object.keys(functions)) {
      expect(actionsOf(statementsOf(fn), 'kms:'), fn).toEqual([]);
    }
  });

  it("lets only the timeline query logs: Logs Insights over the functions' own log groups, nothing else", () => {
    for (const fn of Object.keys(functions)) {
      const queries = statementsOf(fn).filter((st) =>
        asList(st.Action).some((a) => a.startsWith('logs:') && !/^logs:(Create|Put)/.test(a)),
      );
      if (fn !== 'opsTimeline') {
        expect(queries, fn).toEqual([]);
        continue;
      }
      const start = queries.find((st) => asList(st.Action).includes('logs:StartQuery'));
      const groups = [...referencedIds(start?.Resource)];
      expect(groups.length).toBeGreaterThan(5);
      for (const group of groups)
        expect(template.Resources[group]?.Type).toBe('AWS::Logs::LogGroup');
      expect(queries.flatMap((st) => asList(st.Action)).sort()).toEqual([
        'logs:GetQueryResults',
        'logs:StartQuery',
      ]);
    }
  });
});
