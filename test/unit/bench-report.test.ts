import { describe, expect, it } from 'vitest';
import { mapLimit } from '../../scripts/lib/common/pool.mjs';
import {
  meetsTarget,
  percentile,
  ratio,
  table,
  verdict,
} from '../../scripts/lib/common/report.mjs';
import { packageSizes } from '../../scripts/lib/measure/bundles.mjs';
import { lambdaDurations } from '../../scripts/lib/measure/load.mjs';

describe('Function: percentile', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted on purpose

  it('takes the nearest rank, never an interpolated value', () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile([10, 20, 30], 50)).toBe(20);
    expect(percentile([10, 20], 50)).toBe(10);
  });

  it('gives the smallest sample at p0 and the only sample of one', () => {
    expect(percentile(hundred, 0)).toBe(1);
    expect(percentile([7], 99)).toBe(7);
  });

  it('is NaN without samples and refuses a p outside 0..100', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it('does not reorder the caller array', () => {
    const values = [3, 1, 2];
    percentile(values, 50);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe('Function: ratio and meetsTarget', () => {
  it('divides, and is NaN when the reference is zero or missing', () => {
    expect(ratio(450, 900)).toBe(0.5);
    expect(ratio(1, 0)).toBeNaN();
    expect(ratio(undefined, 3)).toBeNaN();
  });

  it('checks at-least and at-most targets, and never passes an unknown value', () => {
    expect(meetsTarget(0.5, { atLeast: 0.5 })).toBe(true);
    expect(meetsTarget(0.49, { atLeast: 0.5 })).toBe(false);
    expect(meetsTarget(7, { atMost: 7 })).toBe(true);
    expect(meetsTarget(8, { atMost: 7 })).toBe(false);
    expect(meetsTarget(Number.NaN, { atMost: 7 })).toBe(false);
  });

  it('says ok, MISSED or n/a with the target', () => {
    const show = (n: number) => String(n);
    expect(verdict(6, { atMost: 7 }, show)).toBe('ok (target ≤ 7)');
    expect(verdict(0.3, { atLeast: 0.5 }, show)).toBe('MISSED (target ≥ 0.5)');
    expect(verdict(Number.NaN, { atLeast: 0.5 }, show)).toBe('n/a (target ≥ 0.5)');
  });
});

describe('Function: table', () => {
  it('aligns columns, right-aligning numbers', () => {
    const text = table(
      ['what', 'req/s'],
      [
        ['payment flow', '412'],
        ['ceiling', '1,203'],
      ],
    );
    expect(text.split('\n')).toEqual([
      'what          req/s',
      '------------  -----',
      'payment flow    412',
      'ceiling       1,203',
    ]);
  });
});

describe('Function: mapLimit', () => {
  it('never runs more than the limit at once and keeps the order of results', async () => {
    let running = 0;
    let peak = 0;
    const results = await mapLimit([5, 1, 4, 2, 3], 2, async (n: number) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, n));
      running--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });
});

describe('Function: lambdaDurations', () => {
  it("reads each function's durations from serverless-offline's report lines", () => {
    const text = [
      '(λ: paymentCreate) RequestId: 1a-2b  Duration: 120.50 ms  Billed Duration: 121 ms',
      '{"level":"INFO","message":"Duration: 5 ms"}',
      '(λ: internalAuthorizer) RequestId: 3c  Duration: 4.25 ms  Billed Duration: 5 ms',
      '(λ: paymentCreate) RequestId: 4d  Duration: 80 ms  Billed Duration: 80 ms',
    ].join('\n');
    expect(Object.fromEntries(lambdaDurations(text))).toEqual({
      paymentCreate: [120.5, 80],
      internalAuthorizer: [4.25],
    });
  });
});

describe('Function: packageSizes', () => {
  it('adds up the bytes of each npm package, scoped ones included, largest first', () => {
    const sizes = packageSizes({
      'node_modules/@aws-sdk/client-dynamodb/dist-es/index.js': { bytesInOutput: 300 },
      'node_modules/@aws-sdk/client-dynamodb/dist-es/other.js': { bytesInOutput: 200 },
      'node_modules/jose/dist/node/esm/index.js': { bytesInOutput: 100 },
      'lib/payment/gateway.ts': { bytesInOutput: 50 },
      'node_modules/undici/node_modules/inner/x.js': { bytesInOutput: 700 },
    });
    expect([...sizes]).toEqual([
      ['undici', 700],
      ['@aws-sdk/client-dynamodb', 500],
      ['jose', 100],
      ['(our code)', 50],
    ]);
  });
});
