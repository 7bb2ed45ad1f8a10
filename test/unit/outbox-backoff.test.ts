import { describe, expect, it } from 'vitest';
import { fullJitterBackoff } from '../../lib/shared/backoff.js';

const bounds = { baseMs: 100, capMs: 1000 };

describe('Function: fullJitterBackoff', () => {
  it('draws from [0, base * 2^(attempt-1)) for each attempt', () => {
    expect(fullJitterBackoff(1, bounds, () => 0.999)).toBe(99);
    expect(fullJitterBackoff(2, bounds, () => 0.999)).toBe(199);
    expect(fullJitterBackoff(3, bounds, () => 0.5)).toBe(200);
    expect(fullJitterBackoff(1, bounds, () => 0)).toBe(0);
  });

  it('never exceeds the cap, even for huge attempt numbers', () => {
    expect(fullJitterBackoff(5, bounds, () => 0.999)).toBe(999);
    expect(fullJitterBackoff(5000, bounds, () => 0.999)).toBe(999);
  });

  it('spreads the delays of callers that failed together', () => {
    const delays = Array.from({ length: 50 }, () => fullJitterBackoff(4, bounds));
    expect(new Set(delays).size).toBeGreaterThan(10);
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(800);
    }
  });
});
