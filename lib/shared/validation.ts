import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { type ErrorDetail, ValidationError } from './errors.js';
import { type Currency, SUPPORTED_CURRENCIES, toMinorUnits } from './money.js';

// zod/mini ships no messages of its own: English, as full zod has them, for
// the few checks that do not set their own (e.g. a trusted key's shape).
z.config(en());

/** Ids on the wire: 1 to 128 characters of `A-Z a-z 0-9 . _ : -`. */
export const ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** Schema of an id (transactionId, orderId, userId, eventId). */
export const idSchema = z
  .string({ error: 'must be a string' })
  .check(z.regex(ID_PATTERN, { error: 'must be 1-128 characters of A-Z a-z 0-9 . _ : -' }));

/** Schema of a supported ISO 4217 currency code. */
export const currencySchema = z.enum(SUPPORTED_CURRENCIES as [Currency, ...Currency[]], {
  error: `must be one of ${SUPPORTED_CURRENCIES.join(', ')}`,
});

/** Query parameter `limit` of a paged list: an integer from 1 to 100, optional. */
export const pageLimitSchema = z.optional(
  z
    .pipe(
      z
        .string({ error: 'must be an integer from 1 to 100' })
        .check(z.regex(/^\d{1,3}$/, { error: 'must be an integer from 1 to 100' })),
      z.transform(Number),
    )
    .check(z.refine((n) => n >= 1 && n <= 100, { error: 'must be an integer from 1 to 100' })),
);

/** Schema of a major-unit amount; precision is checked with the currency by {@link withMinorUnits}. */
export const amountSchema = z.number({ error: 'must be a JSON number' });

/**
 * Adds `amountMinor` (integer minor units) to an object with `amount` and
 * `currency`, reporting an amount with too many decimals for its currency.
 */
export function withMinorUnits<T extends { amount: number; currency: Currency }>(
  value: T,
  ctx: z.core.ParsePayload,
): T & { amountMinor: number } {
  const minor = toMinorUnits(value.amount, value.currency);
  if (typeof minor !== 'number') {
    ctx.issues.push({
      code: 'custom',
      path: ['amount'],
      message: minor.error,
      input: value.amount,
    });
    return z.NEVER;
  }
  return { ...value, amountMinor: minor };
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function describe(issue: z.core.$ZodIssue, input: unknown): ErrorDetail[] {
  const field = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      field: field ? `${field}.${key}` : key,
      issue: 'is not an accepted field',
    }));
  }
  const missing = issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined;
  return [{ field: field || '(body)', issue: missing ? 'is required' : issue.message }];
}

/**
 * Parses `input` with `schema`, or throws a ValidationError (400) whose details
 * name every bad field. The domain only ever sees the parsed value.
 */
export function parseInput<S extends z.core.$ZodType>(
  schema: S,
  input: unknown,
  what = 'request body',
): z.output<S> {
  const result = z.safeParse(schema, input);
  if (result.success) return result.data;
  const details = result.error.issues.flatMap((issue) => describe(issue, input));
  const fields = [...new Set(details.map((d) => d.field).filter(Boolean))];
  throw new ValidationError(`Invalid ${what}: ${fields.join(', ')}`, details);
}
