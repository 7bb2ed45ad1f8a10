import { readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { OUTBOX_DUE_SHARDS } from '../../lib/payment/indexes.js';
import { table } from '../../scripts/lib/common/report.mjs';
import {
  AWS,
  billPerMillion,
  capacityModel,
  capacityReport,
  OUTBOX_DUE_SHARDS as MODEL_OUTBOX_SHARDS,
  stageSettings,
  tableKey,
} from '../../scripts/lib/measure/capacity.mjs';

/** What one payment costs, as measured (the fixture `npm run capacity` reads). */
const figures = JSON.parse(readFileSync('scripts/capacity-figures.json', 'utf8'));
/** serverless.yml as `sls print --stage <stage>` resolves it (global-package.ts). */
const config = (stage: string) => structuredClone(inject('stageConfigs')[stage]) as any;
const model = (stage: string, cfg = config(stage)) =>
  capacityModel(stageSettings(cfg, stage), figures);

describe('The capacity model (npm run capacity) on the packaged stages', () => {
  it('reads what each stage states: its target, its throttles, the internal budget, warm throughput', () => {
    const prod = stageSettings(config('prod'), 'prod');
    expect(prod.target).toBe(1000);
    expect(prod.defaultThrottle).toEqual({ rate: 1500, burst: 3000 });
    expect(prod.routeThrottles['PUT /orders/{orderId}/status']).toEqual({
      rate: 3000,
      burst: 5000,
    });
    expect(prod.tableWcu.payments).toBe(12000);
    const dev = stageSettings(config('dev'), 'dev');
    expect(dev.target).toBe(50);
    expect(dev.tableWcu.payments).toBe(AWS.quotas.newOnDemandTableWcu.value);
  });

  it('carries the dev stage target, and says which limit binds first', () => {
    const dev = model('dev');
    expect(dev.carriesTarget).toBe(true);
    expect(dev.binding!.paymentsPerSecond).toBeGreaterThanOrEqual(50);
    expect(capacityReport(dev, table)).toMatch(/First to bind: .* carries the target of 50/);
  });

  it("carries prod's target of 1,000 payments/s: throttles, warm tables, quotas and the sharded keys", () => {
    const prod = model('prod');
    expect(prod.carriesTarget).toBe(true);
    // The write-sharded outbox key no longer binds first: ~15,000 payments/s per shard.
    const hot = prod.ceilings.find((c: { limit: string }) =>
      c.limit.startsWith('DynamoDB hot key'),
    )!;
    expect(hot.paymentsPerSecond).toBeGreaterThan(10_000);
    expect(capacityReport(prod, table)).toMatch(/carries the target of 1,000/);
  });

  it("counts no API Gateway request between services: the internal route throttles no longer bind, the callees' invoke rate and the shared concurrency do", () => {
    const prod = model('prod');
    const limits = prod.ceilings.map((c: { limit: string }) => c.limit);
    expect(limits.filter((l: string) => l.startsWith('API throttle')).sort()).toEqual([
      'API throttle POST /orders',
      'API throttle POST /payments',
    ]);
    for (const fn of ['orderHold', 'orderUpdateStatus', 'notificationSend']) {
      const invoke = prod.ceilings.find(
        (c: { limit: string }) => c.limit === `Lambda invoke rate ${fn}`,
      );
      // 10 × the account's 1,000 concurrent executions, one invocation a payment.
      expect(invoke?.paymentsPerSecond, fn).toBe(10_000);
    }
    expect(limits).toContain('Lambda concurrency');
    const api = prod.bill.items.find((i: { item: string }) => i.item === 'API Gateway requests')!;
    expect(api).toMatchObject({ perPayment: '2' });
    expect(api.usd).toBeCloseTo(2 * AWS.prices.httpApiPerMillion.value, 6);

    // The same stage with the calls back on API Gateway: 3 requests more a payment, their throttles back in.
    const viaApi = structuredClone(figures);
    for (const route of Object.keys(viaApi.apiRequestsPerPayment.internal)) {
      viaApi.apiRequestsPerPayment.internal[route] = 1;
    }
    const before = capacityModel(stageSettings(config('prod'), 'prod'), viaApi);
    expect(before.ceilings.map((c: { limit: string }) => c.limit)).toContain(
      'API throttle PUT /orders/{orderId}/status',
    );
    expect(before.bill.total - prod.bill.total).toBeGreaterThanOrEqual(3);
  });

  it('fails a stage whose API throttle cannot carry its target, naming the route', () => {
    const cfg = config('dev');
    cfg.resources.extensions.HttpApiStage.Properties.DefaultRouteSettings.ThrottlingRateLimit = 20;
    const starved = model('dev', cfg);
    expect(starved.carriesTarget).toBe(false);
    expect(starved.binding!.limit).toMatch(/^API throttle (POST \/orders|POST \/payments)$/);
    expect(capacityReport(starved, table)).toMatch(/CANNOT carry the target of 50/);
  });

  it('prints concurrency per function, the spike, the recovery of a 10-minute outage and the bill', () => {
    const prod = model('prod');
    // Little's law: 1,000 payments/s × paymentCreate's measured duration.
    expect(prod.concurrency.paymentCreate!.measured).toBeCloseTo(
      (1000 * figures.invocations.perPayment.paymentCreate.ms) / 1000,
      5,
    );
    expect(prod.concurrency.paymentCreate!.slowCallee).toBeGreaterThan(
      prod.concurrency.paymentCreate!.measured,
    );
    expect(prod.spike.ssmTps).toBe(10000);
    expect(prod.recovery.map((r: { rate: number }) => r.rate)).toEqual([100, 1000]);
    const report = capacityReport(prod, table);
    for (const part of ['Lambda concurrency at', 'A 10× spike', 'hours to drain', 'total']) {
      expect(report).toContain(part);
    }
  });
});

describe('The recovery the capacity model reads from the stages', () => {
  it('reads the engine settings each stage deploys, its enabled schedules agreeing with its slices', () => {
    expect(MODEL_OUTBOX_SHARDS).toBe(OUTBOX_DUE_SHARDS);
    for (const stage of ['dev', 'prod']) {
      const { relay } = stageSettings(config(stage), stage);
      // Each slice needs its schedule, and no schedule may name a slice beyond them.
      expect(relay.parallel, stage).toBe(relay.slices);
      expect(relay.concurrency, stage).toBeGreaterThan(1);
      expect(relay.timeoutS * 1000, stage).toBeGreaterThan(relay.reserveMs);
    }
    expect(stageSettings(config('prod'), 'prod').relay).toMatchObject({
      slices: 4,
      shardsPerRun: 16,
      parallel: 4,
      runsPerMinute: 1,
      concurrency: 25,
    });
  });

  it("drains prod's 10-minute order outage at 1,000 payments/s within an hour", () => {
    const prod = model('prod');
    const at1000 = prod.recovery.find((r: { rate: number }) => r.rate === 1000)!;
    expect(at1000.backlog).toBe(600_000);
    expect(at1000.eventsPerMinute).toBeGreaterThanOrEqual(10_000);
    expect(at1000.hours).toBeLessThanOrEqual(1);
    expect(capacityReport(prod, table)).toMatch(/1,000 payments\/s +600,000 .* the relay +0\.25/);
  });

  it('says so when a stage cannot drain it within an hour (one run, one at a time)', () => {
    const cfg = config('prod');
    cfg.functions.paymentRelay.environment.OUTBOX_DELIVERY_CONCURRENCY = '1';
    for (const e of cfg.functions.paymentRelay.events) e.schedule.enabled = false;
    cfg.functions.paymentRelay.events[0].schedule.enabled = true;
    const slow = model('prod', cfg);
    const at1000 = slow.recovery.find((r: { rate: number }) => r.rate === 1000)!;
    // 400 events a run (40 s at 100 ms), one run a minute: 25 h.
    expect(at1000.eventsPerMinute).toBe(400);
    expect(at1000.hours).toBeGreaterThan(1);
  });
});

describe('Function: billPerMillion', () => {
  it('prices each item at list prices: 1 WCU per payment is $0.625 per million payments', () => {
    const one = {
      ...figures,
      writeUnitsPerPayment: { tables: { payments: 1 }, indexes: {} },
    };
    const settings = stageSettings(config('prod'), 'prod');
    const dynamo = billPerMillion(settings, one).items.find(
      (i: { item: string }) => i.item === 'DynamoDB write units',
    )!;
    expect(dynamo.usd).toBeCloseTo(0.625, 6);
  });

  it("counts Lambda's own log lines only where the template ingests them (prod sets the system level to WARN)", () => {
    const settings = stageSettings(config('prod'), 'prod');
    expect(settings.platformLogLines).toBe(false);
    const logs = (s: typeof settings) =>
      billPerMillion(s, figures).items.find((i: { item: string }) =>
        i.item.startsWith('CloudWatch Logs'),
      )!;
    const without = logs(settings);
    const withPlatform = logs({ ...settings, platformLogLines: true });
    const invocations = Object.values(
      figures.invocations.perPayment as Record<string, { count: number }>,
    ).reduce((n, i) => n + i.count, 0);
    // $0.50 per GB: each byte a payment adds is $0.0005 per million payments.
    expect(withPlatform.usd - without.usd).toBeCloseTo(
      invocations * figures.logs.platformBytesPerInvocation * 0.0005,
      6,
    );
    expect(withPlatform.item).toMatch(/Lambda's own lines/);
  });

  it('names tables the way the figures do', () => {
    expect(tableKey('OrderAuditTable')).toBe('order-audit');
    expect(tableKey('PaymentsTable')).toBe('payments');
  });
});
