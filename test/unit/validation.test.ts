import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../../lib/shared/errors.js';
import {
  amountSchema,
  currencySchema,
  idSchema,
  parseInput,
  withMinorUnits,
} from '../../lib/shared/validation.js';

const schema = z
  .strictObject({ orderId: idSchema, amount: amountSchema, currency: currencySchema })
  .transform(withMinorUnits);

function failure(input: unknown): ValidationError {
  try {
    parseInput(schema, input);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('Function: parseInput', () => {
  it('returns the parsed value with integer minor units', () => {
    expect(parseInput(schema, { orderId: 'o-1', amount: 125.5, currency: 'USD' })).toEqual({
      orderId: 'o-1',
      amount: 125.5,
      currency: 'USD',
      amountMinor: 12550,
    });
  });

  it('names every bad field at once', () => {
    const error = failure({ orderId: 'has space', amount: '10', currency: 'usd' });
    expect(error.status).toBe(400);
    expect(error.details.map((d) => d.field).sort()).toEqual(['amount', 'currency', 'orderId']);
  });

  it('reports a missing field as required', () => {
    const error = failure({ amount: 1, currency: 'USD' });
    expect(error.details).toEqual([{ field: 'orderId', issue: 'is required' }]);
  });

  it('rejects unknown fields by name', () => {
    const error = failure({ orderId: 'o', amount: 1, currency: 'USD', extra: true });
    expect(error.details).toEqual([{ field: 'extra', issue: 'is not an accepted field' }]);
  });

  it('rejects an amount with more decimals than the currency has', () => {
    const error = failure({ orderId: 'o', amount: 10.5, currency: 'JPY' });
    expect(error.details).toEqual([{ field: 'amount', issue: 'has more than 0 decimals for JPY' }]);
  });

  it.each(['', 'a'.repeat(129), 'a/b', 'a b', 'ü', '<script>'])('rejects the id %j', (id) => {
    expect(failure({ orderId: id, amount: 1, currency: 'USD' }).details[0]?.field).toBe('orderId');
  });
});
