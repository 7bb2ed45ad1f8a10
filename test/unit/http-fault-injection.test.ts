import { describe, expect, it } from 'vitest';
import { clientFaultFor, findFault, parseFaults } from '../../lib/shared/fault-injection.js';

describe('Function: parseFaults', () => {
  const header = {
    'x-fault-inject': 'order=status:503x2, notification=delay:5000,payment=crash-after-charge',
  };

  it('is inert when fault injection is disabled (any stage but local and test)', () => {
    expect(parseFaults(header, false)).toEqual([]);
  });

  it('parses target, kind, value and count when enabled', () => {
    expect(parseFaults(header, true)).toEqual([
      { target: 'order', kind: 'status', value: 503, count: 2 },
      { target: 'notification', kind: 'delay', value: 5000 },
      { target: 'payment', kind: 'crash-after-charge' },
    ]);
  });

  it('reads the header whatever its case and ignores malformed parts', () => {
    expect(parseFaults({ 'X-Fault-Inject': 'order=network,junk,=x,ORDER=status:1' }, true)).toEqual(
      [{ target: 'order', kind: 'network' }],
    );
  });

  it('finds a service own fault by target and kind', () => {
    const faults = parseFaults(header, true);
    expect(findFault(faults, 'payment', 'crash-after-charge')).toBeDefined();
    expect(findFault(faults, 'payment', 'status')).toBeUndefined();
  });
});

describe('Function: clientFaultFor', () => {
  const faults = parseFaults(
    { 'x-fault-inject': 'order=status:503x2,notification=delay:250,order=network' },
    true,
  );

  it('applies a counted fault to the first attempts only, then the next one that applies', () => {
    expect(clientFaultFor(faults, 'order', 1)).toEqual({ kind: 'status', status: 503 });
    expect(clientFaultFor(faults, 'order', 2)).toEqual({ kind: 'status', status: 503 });
    expect(clientFaultFor(faults, 'order', 3)).toEqual({ kind: 'network' });
  });

  it('applies an uncounted fault to every attempt', () => {
    expect(clientFaultFor(faults, 'notification', 7)).toEqual({ kind: 'delay', ms: 250 });
  });

  it('ignores statuses a response cannot have and targets without faults', () => {
    const odd = parseFaults({ 'x-fault-inject': 'order=status:99,order=status:700' }, true);
    expect(clientFaultFor(odd, 'order', 1)).toBeUndefined();
    expect(clientFaultFor(faults, 'payment', 1)).toBeUndefined();
    expect(clientFaultFor(undefined, 'order', 1)).toBeUndefined();
  });
});
