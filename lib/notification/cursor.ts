import { ValidationError } from '../shared/errors.js';

/** The position a page ends at (the table's key). */
export interface PageKey {
  pk: string;
  sk: string;
}

/** Encodes a page key as an opaque cursor (base64url JSON). */
export function encodeCursor(key: PageKey): string {
  return Buffer.from(JSON.stringify({ pk: key.pk, sk: key.sk }), 'utf8').toString('base64url');
}

/** Decodes a cursor made by {@link encodeCursor}; anything else is a 400 naming `cursor`. */
export function decodeCursor(cursor: string): PageKey {
  const invalid = () =>
    new ValidationError('Invalid query: cursor', [
      { field: 'cursor', issue: 'is not a valid cursor' },
    ]);
  if (!/^[A-Za-z0-9_-]{1,1024}$/.test(cursor)) throw invalid();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (value === null || typeof value !== 'object') throw invalid();
  const { pk, sk, ...rest } = value as Record<string, unknown>;
  if (typeof pk !== 'string' || typeof sk !== 'string' || Object.keys(rest).length > 0) {
    throw invalid();
  }
  if (pk.length > 300 || sk.length > 300) throw invalid();
  return { pk, sk };
}
