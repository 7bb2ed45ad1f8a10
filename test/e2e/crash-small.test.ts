import { describe, expect, it } from 'vitest';
import { runCrash } from '../../scripts/lib/proofs/crash-run.mjs';
import { describeViolations } from '../../scripts/lib/proofs/invariants.mjs';

// `npm run chaos -- --crash` in small: a private stack (DynamoDB Local on
// disk) whose serverless-offline process group is SIGKILLed twice while
// payments are in flight, DynamoDB Local with it once, each time restarted on
// its data. Each restart rebuilds the bundles (3-10 s on a quiet machine), so
// the run stays small. Replay with
// `npm run chaos -- --crash --n 10 --kills 2 --concurrency 4 --seed 20261130`.
describe('Crash run: the whole stack killed mid-burst and restarted on its data', () => {
  it('charges each payment once, pays each order once, sends each notification once, leaves nothing pending or stuck', async () => {
    const result = await runCrash({
      n: 10,
      concurrency: 4,
      dupRate: 0.4,
      declineRate: 0.25,
      kills: 2,
      seed: 20261130,
      drainSeconds: 90,
      minGapMs: 0,
      maxGapMs: 800,
      // Ends (and cleans up) before the test's own timeout, whatever happens.
      budgetMs: 270_000,
    });

    expect(describeViolations(result.violations)).toBe('');
    // The run did what it claims: kills while clients were in flight, the database among them.
    expect(result.kills).toHaveLength(2);
    expect(result.kills.filter((k: { database: boolean }) => k.database)).toHaveLength(1);
    expect(result.counts.ledgerCharges).toBe(result.plan.length);
    expect(result.counts.charges).toBe(result.plan.length);
    expect(result.counts.notificationsSent).toBe(result.plan.length);
    expect(result.counts.eventsDelivered).toBe(2 * result.plan.length);
  }, 300_000);
});
