import { describe, expect, it } from 'vitest';
import { fromMinorUnits, toMinorUnits } from '../../lib/shared/money.js';

describe('Function: toMinorUnits', () => {
  it.each([
    [125.5, 'USD', 12550],
    [125.55, 'USD', 12555],
    [0.29, 'USD', 29],
    [0.01, 'USD', 1],
    [1000, 'JPY', 1000],
    [19.99, 'EUR', 1999],
  ] as const)('converts %s %s to %s minor units exactly', (amount, currency, minor) => {
    expect(toMinorUnits(amount, currency)).toBe(minor);
  });

  it.each([
    [1.005, 'USD', /more than 2 decimals/],
    [10.5, 'JPY', /more than 0 decimals/],
    [0, 'USD', /greater than zero/],
    [-5, 'USD', /greater than zero/],
    [Number.NaN, 'USD', /finite/],
    [1e-7, 'USD', /decimals/],
    [1e21, 'USD', /too large/],
    [2_000_000_000, 'USD', /too large/],
  ] as const)('refuses %s %s', (amount, currency, message) => {
    const result = toMinorUnits(amount, currency);
    expect(result).toEqual({ error: expect.stringMatching(message) });
  });

  it('round-trips through fromMinorUnits', () => {
    expect(fromMinorUnits(12550, 'USD')).toBe(125.5);
    expect(fromMinorUnits(1000, 'JPY')).toBe(1000);
  });
});
