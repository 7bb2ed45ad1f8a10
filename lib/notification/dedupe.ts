import { createHash } from 'node:crypto';

/**
 * The dedupe key of a message to a user: sha256 over userId, a newline (which
 * an id cannot contain, so no two pairs collide by concatenation) and message.
 */
export function dedupeKey(userId: string, message: string): string {
  return createHash('sha256').update(`${userId}\n${message}`, 'utf8').digest('hex');
}
