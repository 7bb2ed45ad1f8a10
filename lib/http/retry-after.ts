/**
 * Reads a `Retry-After` header (RFC 9110: delay-seconds or an HTTP-date) as
 * milliseconds from `now`. Undefined when absent or unreadable; a date in the
 * past is 0. Callers cap it by their own time budget.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d{1,9}$/.test(trimmed)) return Number(trimmed) * 1000;
  // Only the date forms: Date.parse also accepts bare numbers and odd strings.
  if (!/[A-Za-z]{3},? /.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
