import * as v from 'valibot';
import { type ErrorDetail, ValidationError } from './errors.js';
import { type Currency, SUPPORTED_CURRENCIES, toMinorUnits } from './money.js';

/** Ids on the wire: 1 to 128 characters of `A-Z a-z 0-9 . _ : -`. */
export const ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** Schema of an id (transactionId, orderId, userId, eventId). */
export const idSchema = v.pipe(
  v.string('must be a string'),
  v.regex(ID_PATTERN, 'must be 1-128 characters of A-Z a-z 0-9 . _ : -'),
);

/** Schema of a supported ISO 4217 currency code. */
export const currencySchema = v.picklist(
  SUPPORTED_CURRENCIES as readonly Currency[],
  `must be one of ${SUPPORTED_CURRENCIES.join(', ')}`,
);

/** Query parameter `limit` of a paged list: an integer from 1 to 100, optional. */
export const pageLimitSchema = v.optional(
  v.pipe(
    v.string('must be an integer from 1 to 100'),
    v.regex(/^\d{1,3}$/, 'must be an integer from 1 to 100'),
    v.transform(Number),
    v.check((n) => n >= 1 && n <= 100, 'must be an integer from 1 to 100'),
  ),
);

/** An ISO 8601 UTC timestamp as `Date.toISOString` writes it (our `createdAt` values). */
export const TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

/**
 * The 400 for a `cursor` query value that is not one this list made (not
 * decodable, out of range, a key of another list or user): a client's
 * mistake, answered in the contract's format, never a 5xx.
 */
export function invalidCursor(issue = 'is not a valid cursor', cause?: unknown): ValidationError {
  return new ValidationError('Invalid query: cursor', [{ field: 'cursor', issue }], { cause });
}

/** An opaque cursor: an object's JSON, base64url. */
export function encodeCursorObject(value: object): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/**
 * The object a cursor of {@link encodeCursorObject} holds: base64url of at
 * most `maxLength` characters decoding to a JSON object; anything else is the
 * 400 naming `cursor`. Its fields are the caller's to check.
 */
export function decodeCursorObject(text: string, maxLength: number): Record<string, unknown> {
  if (text.length > maxLength || !/^[A-Za-z0-9_-]+$/.test(text)) throw invalidCursor();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidCursor();
  return value as Record<string, unknown>;
}

/** Schema of a major-unit amount; precision is checked with the currency by {@link withMinorUnits}. */
export const amountSchema = v.number('must be a JSON number');

/** Text of 1 to `max` characters (a reason, a message). */
export function textSchema(max: number) {
  return v.pipe(
    v.string('must be a string'),
    v.minLength(1, 'must not be empty'),
    v.maxLength(max, `must be at most ${max} characters`),
  );
}

/**
 * `schema` (an object with `amount` and `currency`), then `amountMinor`
 * (integer minor units) added to what it parsed, reporting an amount with
 * too many decimals for its currency.
 */
export function withMinorUnits<
  TInput,
  TOutput extends { amount: number; currency: Currency },
  TIssue extends v.BaseIssue<unknown>,
>(schema: v.BaseSchema<TInput, TOutput, TIssue>) {
  return v.pipe(
    schema,
    v.rawTransform<TOutput, TOutput & { amountMinor: number }>(({ dataset, addIssue, NEVER }) => {
      const value = dataset.value;
      const minor = toMinorUnits(value.amount, value.currency);
      if (typeof minor !== 'number') {
        addIssue({
          message: minor.error,
          path: [
            { type: 'object', origin: 'value', input: value, key: 'amount', value: value.amount },
          ],
        });
        return NEVER;
      }
      return { ...value, amountMinor: minor };
    }),
  );
}

type Issue = v.BaseIssue<unknown>;
type Schema = v.GenericSchema & {
  entries?: Record<string, Schema>;
  wrapped?: Schema;
  pipe?: readonly Schema[];
};

/** The object schema's entries under `schema` at `path` (through pipes and optionals), if any. */
function entriesAt(schema: Schema, path: readonly string[]): Record<string, Schema> | undefined {
  let current: Schema | undefined = schema;
  for (let i = 0; current; ) {
    if (current.pipe) current = current.pipe[0];
    else if (current.wrapped) current = current.wrapped;
    else if (i === path.length) return current.entries;
    else current = current.entries?.[path[i++] as string];
  }
  return undefined;
}

/** Unknown fields of one strict object: where it is, and their names. */
interface UnknownFields {
  parent: string[];
  keys: string[];
}

function isUnknownField(issue: Issue): boolean {
  return issue.type === 'strict_object' && issue.expected === 'never';
}

/** Every unknown field of the object an unknown-field issue is about (valibot names the first only). */
function unknownFields(issue: Issue, schema: Schema): UnknownFields {
  const parent = (issue.path ?? []).slice(0, -1).map((item) => String(item.key));
  const object = issue.path?.at(-1)?.input as Record<string, unknown>;
  const entries = entriesAt(schema, parent) ?? {};
  return { parent, keys: Object.keys(object).filter((key) => !Object.hasOwn(entries, key)) };
}

/** `input` without the unknown fields (copies along their paths; `input` is not changed). */
function withoutFields(input: unknown, unknown: UnknownFields[]): unknown {
  const copy = (value: unknown, path: string[], keys: string[]): unknown => {
    if (value === null || typeof value !== 'object') return value;
    const object: Record<string, unknown> = { ...value };
    const [head, ...rest] = path;
    if (head === undefined) for (const key of keys) delete object[key];
    else object[head] = copy(object[head], rest, keys);
    return object;
  };
  return unknown.reduce((value, u) => copy(value, u.parent, u.keys), input);
}

function describe(issue: Issue): ErrorDetail {
  const field = (issue.path ?? []).map((item) => String(item.key)).join('.');
  const missing = issue.kind === 'schema' && issue.input === undefined;
  return { field: field || '(body)', issue: missing ? 'is required' : issue.message };
}

/**
 * Parses `input` with `schema`, or throws a ValidationError (400) whose details
 * name every bad field, then every unknown one. The domain only ever sees the
 * parsed value.
 */
export function parseInput<S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  what = 'request body',
): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const unknown = result.issues.filter(isUnknownField).map((i) => unknownFields(i, schema));
  let issues = result.issues.filter((issue) => !isUnknownField(issue));
  if (issues.length === 0) {
    // A pipe stops at an unknown field: what its next steps would refuse
    // (an amount's decimals) is named too, from the input without them.
    const rest = v.safeParse(schema, withoutFields(input, unknown));
    if (!rest.success) issues = rest.issues.filter((issue) => !isUnknownField(issue));
  }
  const details = [
    ...issues.map(describe),
    ...unknown.flatMap(({ parent, keys }) =>
      keys.map((key) => ({ field: [...parent, key].join('.'), issue: 'is not an accepted field' })),
    ),
  ];
  const fields = [...new Set(details.map((d) => d.field).filter(Boolean))];
  throw new ValidationError(`Invalid ${what}: ${fields.join(', ')}`, details);
}
