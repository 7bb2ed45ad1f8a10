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
  paymentRelay: ['PaymentsTable'],
  notificationSend: ['NotificationsTable'],
  notificationList: ['NotificationsTable'],
  internalAuthorizer: [],
};

/** Functions behind public GET routes: they read and never write. */
const readOnly = ['orderGet', 'orderHistory', 'paymentGet', 'notificationList'];
/** Functions that sign or verify service tokens with keys from SSM. */
const keyReaders = ['paymentCreate', 'paymentCallback', 'paymentRelay', 'internalAuthorizer'];
const readActions = ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'];

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

  it('grants no wildcard action and no "*" resource except for X-Ray, which has no resource-level permissions', () => {
    for (const fn of Object.keys(functions)) {
      for (const statement of statementsOf(fn)) {
        expect(statement.Effect).toBe('Allow');
        for (const action of asList(statement.Action)) {
          expect(action, `${fn}: ${action}`).not.toMatch(/\*/);
        }
        if (asList(statement.Resource).includes('*')) {
          expect(
            asList(statement.Action).every((a) => a.startsWith('xray:')),
            fn,
          ).toBe(true);
        }
      }
    }
  });

  it('never grants Scan, table administration or batch writes', () => {
    const forbidden = /^dynamodb:(Scan|BatchWriteItem|.*Table.*|PartiQL.*|DeleteItem)$/;
    for (const fn of Object.keys(functions)) {
      for (const statement of statementsOf(fn)) {
        const onIdempotency = referencedIds(statement.Resource).has('IdempotencyTable');
        for (const action of asList(statement.Action)) {
          // The Powertools persistence layer deletes a record when the wrapped work fails.
          if (onIdempotency && action === 'dynamodb:DeleteItem') continue;
          expect(action, `${fn}: ${action}`).not.toMatch(forbidden);
        }
      }
    }
  });

  it.each(readOnly)('lets %s (a public read) only read', (fn) => {
    for (const action of actionsOf(statementsOf(fn), 'dynamodb:')) {
      expect(readActions, `${fn}: ${action}`).toContain(action);
    }
  });

  it('lets the relay query the outbox-due index and update events, but not charge', () => {
    const statements = statementsOf('paymentRelay');
    const resources = JSON.stringify(statements.map((s) => s.Resource));
    expect(resources).toContain('outbox-due');
    expect(actionsOf(statements, 'dynamodb:').sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
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
      asList(s.Action).some((a) => a.startsWith('logs:')),
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

  it('lets only the token signers and the authorizer read service keys, under the stage key path', () => {
    for (const fn of Object.keys(functions)) {
      const ssm = statementsOf(fn).filter((s) =>
        asList(s.Action).some((a) => a.startsWith('ssm:')),
      );
      if (!keyReaders.includes(fn)) {
        expect(ssm, fn).toEqual([]);
        continue;
      }
      expect(ssm.flatMap((s) => asList(s.Action)).sort()).toEqual([
        'ssm:GetParameter',
        'ssm:GetParameters',
        'ssm:GetParametersByPath',
      ]);
      for (const resource of ssm.flatMap((s) => asList(s.Resource))) {
        expect(JSON.stringify(resource)).toMatch(/:parameter\/lambda-payments\/dev\/keys(\/\*)?"/);
      }
    }
  });

  it('grants no KMS permission: the keys use the AWS managed key of SSM', () => {
    for (const fn of Object.keys(functions)) {
      expect(actionsOf(statementsOf(fn), 'kms:'), fn).toEqual([]);
    }
  });
});
