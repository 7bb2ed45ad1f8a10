import { describe, expect, it } from 'vitest';
import { headerValue, resolveCorrelationId } from '../../lib/shared/correlation.js';

describe('Function: resolveCorrelationId', () => {
  it('keeps a safe caller-supplied id', () => {
    expect(resolveCorrelationId('req-12345678')).toEqual({
      correlationId: 'req-12345678',
      replaced: false,
    });
  });

  it.each([
    'short',
    'x'.repeat(129),
    'evil\nINJECTED line',
    '%{jndi:ldap:x}',
    '<script>alert(1)</script>',
  ])('replaces the hostile id %j with a new UUID', (hostile) => {
    const result = resolveCorrelationId(hostile);
    expect(result.replaced).toBe(true);
    expect(result.correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('makes a new UUID when none is given', () => {
    const a = resolveCorrelationId(undefined);
    const b = resolveCorrelationId(undefined);
    expect(a.replaced).toBe(false);
    expect(a.correlationId).not.toBe(b.correlationId);
  });
});

describe('Function: headerValue', () => {
  it('finds a header whatever its case', () => {
    expect(headerValue({ Authorization: 'Bearer x' }, 'authorization')).toBe('Bearer x');
    expect(headerValue(undefined, 'authorization')).toBeUndefined();
  });
});
