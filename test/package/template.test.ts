import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_DOWNSTREAM_POLICY } from '../../lib/http/client.js';
import { OUTBOX_METRICS } from '../../lib/outbox/metrics.js';
import { INVOKE_FUNCTION_ENV } from '../../lib/payment/compose.js';
import { METRIC } from '../../lib/shared/observability.js';
import {
  findDependencyCycle,
  functionsByName,
  loadTemplate,
  OPERATOR_ROUTES,
  referencedIds,
  resourcesOfType,
  type Template,
} from '../support/template.js';

/** Routes only other services may call (docs/design.md: "internal"). */
const internalRoutes = [
  'PUT /orders/{orderId}/status',
  'PUT /orders/{orderId}/payment',
  'POST /orders/{orderId}/payment/release',
  'POST /notifications',
];
/** Routes that must stay open: clients, and the gateway (which signs its own callbacks). */
const publicRoutes = [
  'POST /orders',
  'GET /orders/{orderId}',
  'GET /orders/{orderId}/history',
  'POST /payments',
  'POST /payments/callback',
  'GET /payments/{transactionId}',
  'GET /notifications',
];
/** Functions that call other services over HTTP (a payment delivers its events in parallel). */
const callers = ['paymentCreate', 'paymentCallback', 'paymentRelay'];

let template: Template;
let functions: ReturnType<typeof functionsByName>;

beforeAll(() => {
  template = loadTemplate(inject('packageDir'));
  functions = functionsByName(template);
});

const env = (fn: string): Record<string, unknown> =>
  functions[fn]?.Properties?.Environment?.Variables ?? {};
const timeoutMs = (fn: string): number => Number(functions[fn]?.Properties?.Timeout) * 1000;
const routes = () =>
  Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Route')).map((r) => r.Properties!);
/** The function behind an HTTP API route. */
function functionOfRoute(routeKey: string): string {
  const route = routes().find((r) => r.RouteKey === routeKey);
  const integrationId = String(route?.Target['Fn::Join'][1][1].Ref);
  const integration = template.Resources[integrationId]?.Properties;
  const logicalId = integration?.IntegrationUri['Fn::GetAtt'][0];
  const name = Object.entries(functions).find(([, fn]) => fn.logicalId === logicalId)?.[0];
  if (!name) throw new Error(`no function behind ${routeKey}`);
  return name;
}

describe('Tables of the packaged template', () => {
  it('bills every table on demand, with point-in-time recovery and encryption at rest', () => {
    const tables = resourcesOfType(template, 'AWS::DynamoDB::Table');
    expect(Object.keys(tables).length).toBeGreaterThanOrEqual(6);
    for (const [id, table] of Object.entries(tables)) {
      expect(table.Properties, id).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      });
    }
  });

  it('lets `sls remove` delete the tables of a development stage (prod keeps them: see stages)', () => {
    for (const [id, table] of Object.entries(resourcesOfType(template, 'AWS::DynamoDB::Table'))) {
      expect(table, id).toMatchObject({ DeletionPolicy: 'Delete' });
      expect(table.Properties?.DeletionProtectionEnabled, id).toBe(false);
    }
  });

  it.each([
    ['IdempotencyTable', 'expiration'],
    ['NotificationsTable', 'expiresAt'],
  ])('expires the records of %s through TTL on %s', (id, attribute) => {
    expect(template.Resources[id]?.Properties?.TimeToLiveSpecification).toEqual({
      AttributeName: attribute,
      Enabled: true,
    });
  });
});

describe('Functions of the packaged template', () => {
  it('runs every function on nodejs24.x (arm64), the Node the local stack runs, with active tracing and a deliberate size', () => {
    // The pinned devDependency `node` is what npm start and npm test run on (docs/deploy.md, Runtime).
    const pinned = JSON.parse(readFileSync('package.json', 'utf8')).devDependencies.node as string;
    expect(`nodejs${pinned.split('.')[0]}.x`).toBe('nodejs24.x');
    for (const [name, fn] of Object.entries(functions)) {
      expect(fn.Properties, name).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
      });
      expect(fn.Properties?.MemorySize, name).toBeGreaterThanOrEqual(256);
      expect(fn.Properties?.MemorySize, name).toBeLessThanOrEqual(1024);
    }
  });

  it('keeps the logs of every function and of the API for a bounded time', () => {
    const groups = resourcesOfType(template, 'AWS::Logs::LogGroup');
    for (const fn of Object.values(functions)) {
      expect(fn.DependsOn).toContain(fn.logicalId.replace(/LambdaFunction$/, 'LogGroup'));
    }
    expect(Object.keys(groups)).toContain('HttpApiLogGroup');
    for (const [id, group] of Object.entries(groups)) {
      expect(group.Properties?.RetentionInDays, id).toBeGreaterThan(0);
    }
  });

  it("ingests no Lambda platform line (START, END, REPORT), and the application's level follows LOG_LEVEL", () => {
    for (const [name, fn] of Object.entries(functions)) {
      expect(fn.Properties?.LoggingConfig, name).toEqual({
        LogFormat: 'JSON',
        ApplicationLogLevel: 'INFO',
        SystemLogLevel: 'WARN',
      });
    }
  });

  it('writes one JSON access line per request, with what never reached a function', () => {
    const settings = template.Resources.HttpApiStage?.Properties?.AccessLogSettings;
    expect(settings?.DestinationArn).toEqual({ 'Fn::GetAtt': ['HttpApiLogGroup', 'Arn'] });
    const line = JSON.parse(String(settings?.Format).replace(/\$context\.[\w.]+/g, 'x'));
    expect(Object.keys(line)).toEqual(
      expect.arrayContaining([
        'requestId',
        'routeKey',
        'status',
        'integrationError',
        'authorizerError',
      ]),
    );
  });

  it("keeps the gateway's webhook secret out of every function's environment: paymentCallback reads it from SSM", () => {
    for (const fn of Object.keys(functions)) {
      expect(env(fn).GATEWAY_WEBHOOK_SECRET ?? '', fn).toBe('');
    }
    expect(env('paymentCallback').GATEWAY_WEBHOOK_SECRET_PARAMETER).toBe(
      '/lambda-payments/dev/gateway/webhook-secret',
    );
    const others = Object.keys(functions).filter((fn) => fn !== 'paymentCallback');
    for (const fn of others) expect(env(fn).GATEWAY_WEBHOOK_SECRET_PARAMETER, fn).toBeUndefined();
  });

  it('names the access log group under /aws/vendedlogs/, which needs no log resource policy', () => {
    expect(template.Resources.HttpApiLogGroup?.Properties?.LogGroupName).toBe(
      '/aws/vendedlogs/http-api/lambda-payments-dev',
    );
  });

  it('names to each payment caller the function of each internal route it calls, and it is the function behind that route', () => {
    const calledBy: Record<string, string[]> = {
      paymentCreate: internalRoutes,
      paymentCallback: ['PUT /orders/{orderId}/status', 'POST /notifications'],
      paymentRelay: ['PUT /orders/{orderId}/status', 'POST /notifications'],
    };
    for (const fn of Object.keys(functions)) {
      const named = Object.entries(INVOKE_FUNCTION_ENV).filter(([, name]) => env(fn)[name]);
      expect(named.map(([route]) => route).sort(), fn).toEqual([...(calledBy[fn] ?? [])].sort());
      for (const [route, name] of named) {
        const callee = functions[functionOfRoute(route)];
        expect(env(fn)[name], `${fn} ${name}`).toBe(callee?.Properties?.FunctionName);
      }
    }
    // In AWS the Invoke API is the Region's own: no endpoint override.
    for (const fn of Object.keys(functions)) expect(env(fn).LAMBDA_ENDPOINT, fn).toBe('');
  });

  it('has no dependency cycle, although every function gets the API URL', () => {
    expect(findDependencyCycle(template)).toBeUndefined();
    for (const fn of Object.keys(functions)) {
      expect(env(fn).SERVICE_BASE_URL, fn).toEqual({ 'Fn::GetAtt': ['HttpApi', 'ApiEndpoint'] });
    }
  });
});

describe('Timeouts of the packaged template', () => {
  it('gives up on one attempt to another service before that service would time out', () => {
    const attemptMs = Number(env('paymentCreate').DOWNSTREAM_TIMEOUT_MS);
    expect(attemptMs).toBeGreaterThan(0);
    for (const route of internalRoutes) {
      const callee = functionOfRoute(route);
      expect(timeoutMs(callee), `${route} (${callee})`).toBeGreaterThan(attemptMs);
    }
  });

  it("outlives the client's retry budget in every function that calls another service", () => {
    const { budgetMs } = DEFAULT_DOWNSTREAM_POLICY;
    for (const fn of callers) {
      const attemptMs = Number(env(fn).DOWNSTREAM_TIMEOUT_MS);
      expect(budgetMs, fn).toBeGreaterThanOrEqual(attemptMs);
      // Headroom for the function's own DynamoDB work around the calls.
      expect(timeoutMs(fn), fn).toBeGreaterThanOrEqual(budgetMs + 2000);
    }
  });

  it('answers every HTTP route before API Gateway gives up on the integration', () => {
    for (const route of [...internalRoutes, ...publicRoutes]) {
      const fn = functionOfRoute(route);
      expect(timeoutMs(fn), route).toBeLessThan(29_000);
    }
    for (const integration of Object.values(
      resourcesOfType(template, 'AWS::ApiGatewayV2::Integration'),
    )) {
      expect(integration.Properties?.TimeoutInMillis).toBeLessThanOrEqual(30_000);
    }
  });
});

describe('The outbox relay in the packaged template', () => {
  it('runs every minute, finishing before the next run is due', () => {
    const rules = Object.values(resourcesOfType(template, 'AWS::Events::Rule')).filter((rule) =>
      referencedIds(rule.Properties?.Targets).has(functions.paymentRelay!.logicalId),
    );
    // The fan-out's four schedules, one per slice; dev runs one (slice 0, which there is every shard).
    expect(rules.map((r) => r.Properties?.ScheduleExpression)).toEqual(
      Array(4).fill('rate(1 minute)'),
    );
    const enabled = rules.filter((r) => r.Properties?.State !== 'DISABLED');
    expect(enabled.map((r) => JSON.parse(r.Properties?.Targets[0].Input))).toEqual([{ slice: 0 }]);
    expect(env('paymentRelay').OUTBOX_RELAY_SLICES).toBe('1');
    expect(timeoutMs('paymentRelay')).toBeLessThan(60_000);
  });

  it('reserves no concurrency (refused on accounts with a small quota): a lease keeps runs single', () => {
    for (const [name, fn] of Object.entries(functions)) {
      expect(fn.Properties?.ReservedConcurrentExecutions, name).toBeUndefined();
    }
  });

  it('sends a failed run to an encrypted queue instead of losing it', () => {
    const configs = Object.values(resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig'));
    const relay = configs.find(
      (c) => c.Properties?.FunctionName.Ref === functions.paymentRelay!.logicalId,
    );
    expect(relay?.Properties?.MaximumRetryAttempts).toBeTypeOf('number');
    const [queueId] = [...referencedIds(relay?.Properties?.DestinationConfig.OnFailure)];
    const queue = template.Resources[queueId!];
    expect(queue?.Type).toBe('AWS::SQS::Queue');
    expect(queue?.Properties?.SqsManagedSseEnabled).toBe(true);
  });
});

describe('Routes of the packaged template', () => {
  it("declares exactly the routes of docs/design.md, and the console's operator routes", () => {
    expect(
      routes()
        .map((r) => r.RouteKey)
        .sort(),
    ).toEqual([...internalRoutes, ...publicRoutes, ...OPERATOR_ROUTES].sort());
  });

  it.each(internalRoutes)('puts the internal JWT authorizer in front of %s', (routeKey) => {
    const route = routes().find((r) => r.RouteKey === routeKey);
    expect(route?.AuthorizationType).toBe('CUSTOM');
    expect(route?.AuthorizerId).toEqual({ Ref: 'HttpApiAuthorizerInternalJwt' });
  });

  it('caches an authorizer decision per token and route, for less than a token lives', () => {
    const authorizer = template.Resources.HttpApiAuthorizerInternalJwt?.Properties;
    expect(authorizer?.IdentitySource).toEqual([
      '$request.header.Authorization',
      '$context.routeKey',
    ]);
    // Tokens live 120 s and callers switch with >= 60 s left (docs/security.md).
    expect(authorizer?.AuthorizerResultTtlInSeconds).toBeLessThanOrEqual(30);
  });

  it.each(publicRoutes)('leaves %s open', (routeKey) => {
    const route = routes().find((r) => r.RouteKey === routeKey);
    expect(route).toBeDefined();
    expect(route?.AuthorizationType ?? 'NONE').toBe('NONE');
    expect(route?.AuthorizerId).toBeUndefined();
  });
});

describe('Alarms of the packaged template', () => {
  const alarms = () => Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm'));
  const alarmOn = (metric: string) =>
    alarms().find(
      (a) =>
        a.Properties?.MetricName === metric ||
        JSON.stringify(a.Properties?.Metrics ?? []).includes(`"MetricName":"${metric}"`),
    );

  it('throttles every route at the stage, public ones included, and the internal ones on a budget of their own', () => {
    const stage = template.Resources.HttpApiStage?.Properties;
    const settings = stage?.DefaultRouteSettings;
    expect(settings?.ThrottlingRateLimit).toBeGreaterThan(0);
    expect(settings?.ThrottlingBurstLimit).toBeGreaterThan(0);
    const routes = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')
      .map((r) => r.Properties?.RouteKey);
    for (const internal of [
      'PUT /orders/{orderId}/payment',
      'PUT /orders/{orderId}/status',
      'POST /notifications',
    ]) {
      expect(routes).toContain(internal);
      expect(stage?.RouteSettings?.[internal]?.ThrottlingRateLimit).toBeGreaterThan(
        settings?.ThrottlingRateLimit,
      );
    }
  });

  it("counts API Gateway's 429s from the access log, where HTTP APIs report them", () => {
    const filters = Object.values(resourcesOfType(template, 'AWS::Logs::MetricFilter'));
    const throttled = filters.find((f) =>
      JSON.stringify(f.Properties).includes('"MetricName":"ApiThrottled"'),
    );
    expect(throttled?.Properties).toMatchObject({
      LogGroupName: { Ref: 'HttpApiLogGroup' },
      FilterPattern: '{ $.status = "429" }',
    });
  });

  it('sends every alarm to one SNS topic that operators subscribe to', () => {
    const topics = Object.keys(resourcesOfType(template, 'AWS::SNS::Topic'));
    expect(topics).toEqual(['AlarmTopic']);
    expect(alarms().length).toBeGreaterThanOrEqual(5);
    for (const alarm of alarms()) {
      expect(alarm.Properties?.AlarmActions, alarm.Properties?.AlarmName).toEqual([
        { Ref: 'AlarmTopic' },
      ]);
    }
  });

  it.each([
    ['OutboxDead', 'LambdaPayments'],
    ['OutboxOldestPendingAge', 'LambdaPayments'],
    ['Errors', 'AWS/Lambda'],
    ['ApproximateNumberOfMessagesVisible', 'AWS/SQS'],
    ['5xx', 'AWS/ApiGateway'],
    // Throttling, where the capacity model says the system stops (npm run capacity).
    ['ApiThrottled', 'LambdaPayments'],
    ['WriteThrottleEvents', 'AWS/DynamoDB'],
    ['Throttles', 'AWS/Lambda'],
  ])('alarms on %s (%s)', (metric, namespace) => {
    const alarm = alarmOn(metric);
    expect(alarm, metric).toBeDefined();
    expect(JSON.stringify(alarm?.Properties)).toContain(`"Namespace":"${namespace}"`);
  });

  it('watches the metrics the code emits, under the namespace the functions publish to', () => {
    const namespace = env('paymentRelay').POWERTOOLS_METRICS_NAMESPACE;
    for (const metric of [
      OUTBOX_METRICS.dead,
      OUTBOX_METRICS.oldestPendingAge,
      METRIC.callbackContradictions,
    ]) {
      expect(alarmOn(metric)?.Properties).toMatchObject({
        Namespace: namespace,
        Dimensions: [{ Name: 'service', Value: 'payment' }],
      });
    }
  });

  it("watches the relay's own errors and its failure queue", () => {
    expect(referencedIds(alarmOn('Errors')?.Properties?.Dimensions)).toEqual(
      new Set([functions.paymentRelay!.logicalId]),
    );
    expect(referencedIds(alarmOn('ApproximateNumberOfMessagesVisible')?.Properties)).toEqual(
      new Set(['RelayFailureQueue', 'AlarmTopic']),
    );
  });
});

describe('The pulse dashboard', () => {
  /** The dashboard's JSON, each `Ref` written as `REF:<logical id>`. */
  function dashboardBody(): {
    widgets: { properties: { title: string; metrics: unknown[][] } }[];
  } {
    const dashboards = resourcesOfType(template, 'AWS::CloudWatch::Dashboard');
    expect(Object.keys(dashboards)).toEqual(['PulseDashboard']);
    const join = dashboards.PulseDashboard?.Properties?.DashboardBody?.['Fn::Join'] as
      | [string, unknown[]]
      | undefined;
    expect(join?.[0]).toBe('');
    const parts = join?.[1] ?? [];
    const text = parts
      .map((part) => (typeof part === 'string' ? part : `REF:${(part as { Ref: string }).Ref}`))
      .join('');
    return JSON.parse(text);
  }

  it('charts payments by outcome, the outbox, its oldest PENDING age and p50/p99 payment duration', () => {
    expect(dashboardBody().widgets.map((w) => w.properties.title)).toEqual([
      'Payments per minute by outcome',
      'Outbox: events PENDING and DEAD',
      'Oldest PENDING event (seconds)',
      'Payment duration (POST /payments), p50 and p99 (ms)',
    ]);
  });

  it('shows only metrics that the services emit, under the dimension they emit them with', () => {
    const metrics = dashboardBody()
      .widgets.flatMap((w) => w.properties.metrics)
      .filter((m) => typeof m[0] === 'string');
    const ours = metrics.filter((m) => m[0] === 'LambdaPayments');
    const emitted: string[] = [...Object.values(METRIC), ...Object.values(OUTBOX_METRICS)];
    expect(ours.map((m) => m[1]).sort()).toEqual([
      'ChargesDeclined',
      'IdempotencyConflicts',
      'OutboxDead',
      'OutboxOldestPendingAge',
      'OutboxPending',
      'PaymentsCreated',
    ]);
    for (const m of ours) {
      expect(emitted).toContain(m[1]);
      expect(m.slice(2, 4)).toEqual(['service', 'payment']);
    }
    expect(
      metrics
        .filter((m) => m[0] === 'AWS/Lambda')
        .map((m) => [m[1], m[3], (m[4] as { stat: string }).stat]),
    ).toEqual([
      ['Duration', 'REF:PaymentCreateLambdaFunction', 'p50'],
      ['Duration', 'REF:PaymentCreateLambdaFunction', 'p99'],
    ]);
    expect(metrics.filter((m) => m[0] === 'AWS/ApiGateway')).toEqual([
      ['AWS/ApiGateway', '5xx', 'ApiId', 'REF:HttpApi', expect.any(Object)],
    ]);
  });
});
