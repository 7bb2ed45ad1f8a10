import type { ErrorDetail } from '../shared/errors.js';
import type { Order } from './types.js';

/** The fields a request states about an order, by their names on the wire. */
export type OrderField = 'userId' | 'amount' | 'currency';

const ATTRIBUTE: Record<OrderField, 'userId' | 'amountMinor' | 'currency'> = {
  userId: 'userId',
  amount: 'amountMinor',
  currency: 'currency',
};

/**
 * The fields, in `fields`' order, on which the stored order and a request
 * disagree, each with `issue` (never the values: the caller may not be the
 * order's owner).
 */
export function differingFields(
  order: Pick<Order, 'userId' | 'amountMinor' | 'currency'>,
  input: Pick<Order, 'userId' | 'amountMinor' | 'currency'>,
  fields: readonly OrderField[],
  issue: string,
): ErrorDetail[] {
  return fields
    .filter((field) => order[ATTRIBUTE[field]] !== input[ATTRIBUTE[field]])
    .map((field) => ({ field, issue }));
}
