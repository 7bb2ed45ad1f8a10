/**
 * Orders two strings by code point, as DynamoDB orders string keys and as ISO
 * timestamps sort. Not `localeCompare`: its order depends on the locale (it
 * puts 'B' after 'a', '_' before '-'), and its first call loads ICU's
 * collator, ~8 ms of CPU in a fresh process.
 */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
