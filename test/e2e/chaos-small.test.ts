import { describe, expect, inject, it } from 'vitest';
import { runChaos } from '../../scripts/lib/proofs/chaos-run.mjs';
import { describeViolations } from '../../scripts/lib/proofs/invariants.mjs';

// `npm run chaos` in small: the same run and the same invariants, against the
// e2e stack, with a fixed seed so a failure can be replayed with
// `npm run chaos -- --n 60 --seed 20261124`.
describe('Chaos run: duplicates in flight, downstream faults, crashes after charge', () => {
  it('keeps every promise for 60 payment requests once the relay has drained', async () => {
    const result = await runChaos({
      baseUrl: inject('baseUrl'),
      lambdaUrl: inject('lambdaUrl'),
      stage: 'test',
      dynamoEndpoint: process.env.DYNAMODB_ENDPOINT,
      env: process.env as Record<string, string>,
      n: 60,
      concurrency: 8,
      dupRate: 0.4,
      faultRate: 0.5,
      declineRate: 0.25,
      seed: 20261124,
      drainSeconds: 60,
      // One of each order scenario, and the order answering 503 to the relay for 4 s.
      arbiter: 1,
      outageSeconds: 4,
    });

    expect(describeViolations(result.violations)).toBe('');
    // The run did exercise what it claims to: duplicates, faults, crashes, declines.
    expect(result.plan.length).toBeLessThan(60);
    expect(result.faultsSent['payment=crash-after-charge']).toBeGreaterThan(0);
    expect(Object.keys(result.faultsSent).length).toBeGreaterThanOrEqual(3);
    expect(result.counts.failed).toBeGreaterThan(0);
    // + the order scenarios' charges: one racer, the owner of the order a
    // stranger tried to take, a decline and its retry, one during the outage.
    expect(result.counts.charges).toBe(result.plan.length + 5);
    expect(result.counts.eventsDelivered).toBe(2 * (result.plan.length + 5));
    // The gateway's own ledger was read: the judge of "charged once".
    expect(result.counts.ledgerCharges).toBeGreaterThanOrEqual(result.plan.length + 5);
    expect(result.counts.eventsDead).toBe(0);
    expect(result.arbiter).toMatchObject({
      'missing order refused': 1,
      'mismatched payment refused': 1,
      'race with one winner': 1,
      'stranger refused, order left free': 1,
      'declined then paid': 1,
    });
    expect(result.arbiter['relay runs during the outage']).toBeGreaterThan(0);
  }, 240_000);
});
