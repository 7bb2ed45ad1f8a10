import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../lib/http/retry-after.js';

const now = Date.parse('2026-11-24T08:00:00Z');

describe('Function: parseRetryAfter', () => {
  it('reads delay-seconds as milliseconds', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });

  it('reads an HTTP date as the time left until it', () => {
    expect(parseRetryAfter('Tue, 24 Nov 2026 08:00:05 GMT', now)).toBe(5000);
  });

  it('reads a date in the past as no wait', () => {
    expect(parseRetryAfter('Tue, 24 Nov 2026 07:59:00 GMT', now)).toBe(0);
  });

  it.each([null, undefined, '', '-1', '1.5', 'soon', '2026-11-24'])('ignores %j', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});
