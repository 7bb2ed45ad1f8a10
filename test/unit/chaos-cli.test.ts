import { describe, expect, it } from 'vitest';
import { helpText, parseOptions, UsageError } from '../../scripts/lib/common/cli.mjs';

const spec = {
  n: { type: 'integer', default: 2000, env: 'CHAOS_N', min: 1, max: 10_000, describe: 'requests' },
  faultRate: { type: 'number', default: 0.2, min: 0, max: 1, describe: 'share with a fault' },
  keep: { type: 'boolean', default: false, describe: 'keep the stack' },
} as const;

describe('Function: parseOptions', () => {
  it('uses the defaults when nothing is given', () => {
    expect(parseOptions(spec, [], {})).toEqual({
      help: false,
      n: 2000,
      faultRate: 0.2,
      keep: false,
    });
  });

  it('takes a flag over the environment, and the environment over the default', () => {
    expect(parseOptions(spec, [], { CHAOS_N: '60' }).n).toBe(60);
    expect(parseOptions(spec, ['--n', '5000'], { CHAOS_N: '60' }).n).toBe(5000);
    expect(parseOptions(spec, ['--n=7'], {}).n).toBe(7);
    expect(parseOptions(spec, ['--keep'], {}).keep).toBe(true);
  });

  it('refuses values out of range, malformed numbers and unknown flags', () => {
    expect(() => parseOptions(spec, ['--n', '10001'], {})).toThrow(/at most 10000/);
    expect(() => parseOptions(spec, ['--n', '0'], {})).toThrow(/at least 1/);
    expect(() => parseOptions(spec, ['--n', '1.5'], {})).toThrow(/an integer/);
    expect(() => parseOptions(spec, ['--faultRate', 'lots'], {})).toThrow(/a number/);
    expect(() => parseOptions(spec, ['--bogus'], {})).toThrow(UsageError);
    expect(() => parseOptions(spec, [], { CHAOS_N: 'many' })).toThrow(/an integer/);
  });

  it('lists every option with its environment variable and default in the help', () => {
    const help = helpText('usage: npm run chaos', spec);
    expect(help).toMatch(/--n <value>\s+\(CHAOS_N\)\s+requests \[default: 2000\]/);
    expect(help).toMatch(/--keep\s+keep the stack \[default: false\]/);
  });
});
