import { describe, expect, it } from 'vitest';
import { FAST_PATH_BUDGET_MS, fastPathDeadline } from '../../lib/payment/routes.js';

describe('Function: fastPathDeadline', () => {
  it('gives the fast path its budget when the function has time to spare', () => {
    expect(fastPathDeadline({ getRemainingTimeInMillis: () => 14_000 }, 1_000)).toBe(
      1_000 + FAST_PATH_BUDGET_MS,
    );
  });

  it('never outlives the function: its remaining time less a margin to answer', () => {
    expect(fastPathDeadline({ getRemainingTimeInMillis: () => 3_000 }, 1_000)).toBe(3_000);
  });
});
