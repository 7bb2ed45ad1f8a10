import {
  decodeCursorObject,
  encodeCursorObject,
  ID_PATTERN,
  invalidCursor,
  TIMESTAMP_PATTERN,
} from '../shared/validation.js';

/** The position a page ends at (the table's key). */
export interface PageKey {
  pk: string;
  sk: string;
}

/** A user's partition key, as the repository writes it: `USER#<userId>`. */
const USER_PK = /^USER#[A-Za-z0-9._:-]{1,128}$/;

/** Encodes a page key as an opaque cursor (base64url JSON). */
export function encodeCursor(key: PageKey): string {
  return encodeCursorObject({ pk: key.pk, sk: key.sk });
}

/** True when `sk` has the shape of a record's sort key: `<createdAt>#<notificationId>`. */
function isRecordSk(sk: string): boolean {
  const at = sk.indexOf('#');
  return at > 0 && TIMESTAMP_PATTERN.test(sk.slice(0, at)) && ID_PATTERN.test(sk.slice(at + 1));
}

/**
 * Decodes a cursor made by {@link encodeCursor}; anything else is a 400
 * naming `cursor`, including a well-formed JSON key of another shape: it
 * would reach DynamoDB as the query's start key.
 */
export function decodeCursor(cursor: string): PageKey {
  const { pk, sk, ...rest } = decodeCursorObject(cursor, 1024);
  if (typeof pk !== 'string' || typeof sk !== 'string' || Object.keys(rest).length > 0) {
    throw invalidCursor();
  }
  if (!USER_PK.test(pk) || !isRecordSk(sk)) throw invalidCursor();
  return { pk, sk };
}
