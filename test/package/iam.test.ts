import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { INTERNAL_ROUTES, trustedIssuers } from '../../lib/auth/route-policy.js';
import { actionsCalledByFunctions } from '../support/code-actions.js';
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
  orderHold: ['OrderAuditTable', 'OrdersTable'],
  orderRelease: ['OrderAuditTable', 'OrdersTable'],
  // The gateway simulator's ledger: a charge or a void under a key.
  paymentCreate: ['ChargesTable', 'GatewayLedgerTable', 'IdempotencyTable', 'PaymentsTable'],
  paymentCallback: ['ChargesTable', 'PaymentsTable'],
  paymentGet: ['ChargesTable', 'PaymentsTable'],
  // The charges table for the charge reconciler, which runs before each relay pass.
  paymentRelay: ['ChargesTable', 'GatewayLedgerTable', 'PaymentsTable'],
  notificationSend: ['NotificationsTable'],
  notificationList: ['NotificationsTable'],
  internalAuthorizer: [],
  // The operator routes (docs/console.md): the payment service's own tables only.
  paymentList: ['ChargesTable', 'PaymentsTable'],
  paymentOutboxHealth: ['ChargesTable', 'PaymentsTable'],
  // The pulse reads the payments table only, under the operator readers' shared role.
  paymentPulse: ['ChargesTable', 'PaymentsTable'],
  paymentRedrive: ['PaymentsTable'],
  // Voids a stuck payment: its charge, then its final payment and events.
  paymentVoid: ['ChargesTable', 'GatewayLedgerTable', 'PaymentsTable'],
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
  'paymentPulse',
];
/** Actions that have no resource-level permission, so "*" is their only resource. */
const resourceless = /^(xray:|logs:GetQueryResults$)/;
const readActions = ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'];

/** Who may delete an item, and why: nobody else can. */
const deleters: Record<string, string[]> = {
  // The Powertools persistence layer deletes a record when the wrapped work fails.
  IdempotencyTable: ['paymentCreate'],
  // A request refused before the gateway deletes its guard with its record.
  ChargesTable: ['paymentCreate'],
  // A send whose channel fails releases its claims so that the outbox can retry.
  NotificationsTable: ['notificationSend'],
};

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The SSM parameter path of the stage that test/package packages. */
const PARAMETERS = ':parameter/lambda-payments/dev/';

let template: Template;
let functions: ReturnType<typeof functionsByName>;
/** What each function's bundled code can call (test/support/code-actions.ts). */
let calls: Record<string, string[]>;

beforeAll(async () => {
  template = loadTemplate(inject('packageDir'));
  functions = functionsByName(template);
  const handlers = Object.fromEntries(
    Object.entries(functions).map(([fn, resource]) => {
      const handler = String(resource.Properties?.Handler);
      return [fn, `${handler.slice(0, handler.lastIndexOf('.'))}.ts`];
    }),
  );
  calls = await actionsCalledByFunctions(root, handlers);
}, 120_000);

/** The functions that run under the same role as `fn` (one role per group). */
function groupOf(fn: string): string[] {
  const role = (name: string) => functions[name]?.Properties?.Role['Fn::GetAtt'][0];
  return Object.keys(functions).filter((other) => role(other) === role(fn));
}

/** The AWS actions (DynamoDB and SSM) that the code of `fn`'s group can call. */
const calledByGroup = (fn: string) =>
  [...new Set(groupOf(fn).flatMap((f) => calls[f] ?? []))].sort();

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

  it('lets every function delete where its code deletes: on each table the deleters list names', () => {
    for (const [table, fns] of Object.entries(deleters)) {
      for (const fn of fns) {
        const deletable = statementsOf(fn)
          .filter((statement) => asList(statement.Action).includes('dynamodb:DeleteItem'))
          .flatMap((statement) => [...referencedIds(statement.Resource)]);
        expect(deletable, `${fn} deletes from ${table}`).toContain(table);
      }
    }
  });

  it.each(Object.keys(tablesByFunction))(
    'grants %s no DynamoDB, SSM or Lambda action that the code of its group cannot call',
    (fn) => {
      const granted = new Set([
        ...actionsOf(statementsOf(fn), 'dynamodb:'),
        ...actionsOf(statementsOf(fn), 'ssm:'),
        ...actionsOf(statementsOf(fn), 'lambda:'),
      ]);
      const callable = calledByGroup(fn);
      for (const action of granted)
        expect(callable, `${fn} is granted ${action}`).toContain(action);
    },
  );

  it.each(Object.keys(tablesByFunction).filter((fn) => !readOnly.includes(fn)))(
    'grants %s every DynamoDB, SSM and Lambda action that its bundled code calls',
    (fn) => {
      const granted = [
        ...actionsOf(statementsOf(fn), 'dynamodb:'),
        ...actionsOf(statementsOf(fn), 'ssm:'),
        ...actionsOf(statementsOf(fn), 'lambda:'),
      ];
      for (const action of calls[fn] ?? [])
        expect(granted, `${fn} calls ${action}`).toContain(action);
    },
  );

  it('finds the calls in the code: the payment writers sign with SSM keys, the readers only read', () => {
    expect(calls.paymentCreate).toEqual(
      expect.arrayContaining(['dynamodb:DeleteItem', 'dynamodb:PutItem', 'ssm:GetParameter']),
    );
    expect(calls.internalAuthorizer).toEqual(['ssm:GetParameter']);
    expect(calls.paymentGet).not.toContain('ssm:GetParameter');
  });

  it('grants only Query on an index, never a read or write of its items', () => {
    for (const fn of Object.keys(functions)) {
      for (const statement of statementsOf(fn)) {
        if (!JSON.stringify(statement.Resource).includes('index')) continue;
        expect(asList(statement.Action), `${fn}: ${statement.Sid}`).toEqual(['dynamodb:Query']);
      }
    }
  });

  it.each(readOnly)('lets %s (a public read) only read', (fn) => {
    for (const action of actionsOf(statementsOf(fn), 'dynamodb:')) {
      expect(readActions, `${fn}: ${action}`).toContain(action);
    }
  });

  it('lets the relay query the outbox-due index, and its reconciler the charges-unfinalized index', () => {
    const resources = JSON.stringify(statementsOf('paymentRelay').map((s) => s.Resource));
    expect(resources).toContain('outbox-due');
    expect(resources).toContain('charges-unfinalized');
  });

  it('lets the reconciler put only payments (the finalizing transaction) and voids at the gateway, never a charge', () => {
    const puts = statementsOf('paymentRelay').filter((s) =>
      asList(s.Action).includes('dynamodb:PutItem'),
    );
    // A void is the simulated gateway's conditional put on its own ledger.
    expect(puts.flatMap((s) => [...referencedIds(s.Resource)]).sort()).toEqual([
      'GatewayLedgerTable',
      'PaymentsTable',
    ]);
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

  it('lets the token signers read only their own signing key, the callback its secret, and the authorizer the public keys of the callers it trusts', () => {
    const issuers = trustedIssuers(INTERNAL_ROUTES);
    for (const fn of Object.keys(functions)) {
      const ssm = statementsOf(fn).filter((s) =>
        asList(s.Action).some((a) => a.startsWith('ssm:')),
      );
      if (!(calls[fn] ?? []).includes('ssm:GetParameter')) {
        expect(ssm, fn).toEqual([]);
        continue;
      }
      expect([...new Set(ssm.flatMap((s) => asList(s.Action)))], fn).toEqual(['ssm:GetParameter']);
      const resources = ssm
        .flatMap((s) => asList(s.Resource))
        .map((r) => JSON.stringify(r))
        .map((r) => r.slice(r.indexOf(PARAMETERS) + PARAMETERS.length, r.lastIndexOf('"')))
        .sort();
      const expected =
        fn === 'internalAuthorizer'
          ? issuers.map((issuer) => `auth/${issuer}/public-keys`)
          : fn === 'paymentCallback'
            ? ['auth/payment/signing-key', 'gateway/webhook-secret']
            : ['auth/payment/signing-key'];
      expect(resources, fn).toEqual(expected.sort());
    }
  });

  it('lets only the payment functions that call order and notification invoke functions: exactly the ones they call, nothing else', () => {
    const invoked: Record<string, string[]> = {
      // The hold, its release, the order's status and the notification.
      paymentCreate: [
        'NotificationSendLambdaFunction',
        'OrderHoldLambdaFunction',
        'OrderReleaseLambdaFunction',
        'OrderUpdateStatusLambdaFunction',
      ],
      // They deliver a payment's events only.
      paymentCallback: ['NotificationSendLambdaFunction', 'OrderUpdateStatusLambdaFunction'],
      paymentRelay: ['NotificationSendLambdaFunction', 'OrderUpdateStatusLambdaFunction'],
    };
    for (const fn of Object.keys(functions)) {
      const statements = statementsOf(fn).filter((s) =>
        asList(s.Action).some((a) => a.startsWith('lambda:')),
      );
      expect([...new Set(statements.flatMap((s) => asList(s.Action)))], fn).toEqual(
        invoked[fn] ? ['lambda:InvokeFunction'] : [],
      );
      // Each function by its unqualified ARN: no wildcard, no other function.
      for (const resource of statements.flatMap((s) => asList(s.Resource))) {
        expect(resource, fn).toMatchObject({ 'Fn::GetAtt': [expect.any(String), 'Arn'] });
      }
      const targets = statements.flatMap((s) => [...referencedIds(s.Resource)]).sort();
      expect(targets, fn).toEqual(invoked[fn] ?? []);
    }
    expect(calls.paymentCreate).toContain('lambda:InvokeFunction');
    expect(calls.paymentGet).not.toContain('lambda:InvokeFunction');
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
