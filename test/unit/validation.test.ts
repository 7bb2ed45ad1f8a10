import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { updateStatusSchema } from '../../lib/order/schemas.js';
import { ValidationError } from '../../lib/shared/errors.js';
import {
  amountSchema,
  currencySchema,
  idSchema,
  pageLimitSchema,
  parseInput,
  withMinorUnits,
} from '../../lib/shared/validation.js';

const heldOrder = {
  seq: 2,
  status: 'PENDING',
  version: 1,
  userId: 'u-1',
  amountMinor: 100,
  currency: 'USD',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

const schema = withMinorUnits(
  v.strictObject({ orderId: idSchema, amount: amountSchema, currency: currencySchema }),
);

function failure(input: unknown, against: v.GenericSchema = schema): ValidationError {
  try {
    parseInput(against, input);
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
    // A missing currency too (zod said "must be one of ..." for a missing enum).
    expect(failure({ orderId: 'o', amount: 1 }).details).toEqual([
      { field: 'currency', issue: 'is required' },
    ]);
  });

  it('rejects unknown fields by name', () => {
    const error = failure({ orderId: 'o', amount: 1, currency: 'USD', extra: true });
    expect(error.details).toEqual([{ field: 'extra', issue: 'is not an accepted field' }]);
  });

  it('names every unknown field, after the bad ones, as the error message does', () => {
    const error = failure({ orderId: 'has space', amount: 1, currency: 'USD', b: 1, a: 2 });
    expect(error.details).toEqual([
      { field: 'orderId', issue: 'must be 1-128 characters of A-Z a-z 0-9 . _ : -' },
      { field: 'b', issue: 'is not an accepted field' },
      { field: 'a', issue: 'is not an accepted field' },
    ]);
    expect(error.message).toBe('Invalid request body: orderId, b, a');
  });

  it('names an unknown field and what the rest of the schema refuses, together', () => {
    const input = { orderId: 'o', amount: 10.5, currency: 'JPY', extra: true };
    expect(failure(input).details).toEqual([
      { field: 'amount', issue: 'has more than 0 decimals for JPY' },
      { field: 'extra', issue: 'is not an accepted field' },
    ]);
    expect(input).toEqual({ orderId: 'o', amount: 10.5, currency: 'JPY', extra: true });
  });

  it('names an unknown field of a nested object by its path', () => {
    const error = failure(
      { status: 'PAID', heldOrder: { ...heldOrder, extra: 1, seq: 0 } },
      updateStatusSchema,
    );
    expect(error.details).toEqual([
      { field: 'heldOrder.seq', issue: 'must be at least 1' },
      { field: 'heldOrder.extra', issue: 'is not an accepted field' },
    ]);
  });

  it('reports a missing or non-object body as required or of the wrong type', () => {
    expect(failure(undefined).details).toEqual([{ field: '(body)', issue: 'is required' }]);
    expect(failure('text').details).toEqual([{ field: '(body)', issue: expect.any(String) }]);
  });

  it('reads a page limit from 1 to 100 and refuses anything else', () => {
    const query = v.strictObject({ limit: pageLimitSchema });
    expect(parseInput(query, { limit: '25' })).toEqual({ limit: 25 });
    expect(parseInput(query, {})).toEqual({});
    for (const limit of ['0', '101', '1.5', 'ten', '']) {
      expect(failure({ limit }, query).details).toEqual([
        { field: 'limit', issue: 'must be an integer from 1 to 100' },
      ]);
    }
  });

  it('never adds minor units when the amount is refused', () => {
    expect(failure({ orderId: 'o', amount: '1', currency: 'USD' }).details).toEqual([
      { field: 'amount', issue: 'must be a JSON number' },
    ]);
  });

  it('rejects an amount with more decimals than the currency has', () => {
    const error = failure({ orderId: 'o', amount: 10.5, currency: 'JPY' });
    expect(error.details).toEqual([{ field: 'amount', issue: 'has more than 0 decimals for JPY' }]);
  });

  it.each(['', 'a'.repeat(129), 'a/b', 'a b', 'ü', '<script>'])('rejects the id %j', (id) => {
    expect(failure({ orderId: id, amount: 1, currency: 'USD' }).details[0]?.field).toBe('orderId');
  });
});
