import { describe, expect, it } from 'vitest';
import { ReadThroughCache } from '../../lib/cache/read-through-cache.js';

/** A loader that counts its calls and resolves only when released. */
function gatedLoader<V>(value: (key: string) => V | undefined) {
  let calls = 0;
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    get calls() {
      return calls;
    },
    release: () => release(),
    load: async (key: string) => {
      calls++;
      await gate;
      return value(key);
    },
  };
}

function counting<V>(value: (key: string) => V | undefined) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    load: async (key: string) => {
      calls++;
      return value(key);
    },
  };
}

describe('Class: ReadThroughCache', () => {
  it('loads once when 100 concurrent reads miss the same key', async () => {
    const cache = new ReadThroughCache<string>({ ttlMs: 1000 });
    const loader = gatedLoader((key) => `value of ${key}`);
    const reads = Array.from({ length: 100 }, () => cache.get('k', loader.load));
    loader.release();
    const values = await Promise.all(reads);
    expect(loader.calls).toBe(1);
    expect(new Set(values)).toEqual(new Set(['value of k']));
  });

  it('loads each key separately', async () => {
    const cache = new ReadThroughCache<string>({ ttlMs: 1000 });
    const loader = counting((key) => key);
    await Promise.all([cache.get('a', loader.load), cache.get('b', loader.load)]);
    expect(loader.calls).toBe(2);
  });

  it('serves from memory within the TTL and reloads after it', async () => {
    let now = 0;
    const cache = new ReadThroughCache<number>({ ttlMs: 100, jitterRatio: 0, now: () => now });
    let version = 1;
    const loader = counting(() => version);
    expect(await cache.get('k', loader.load)).toBe(1);
    version = 2;
    now = 99;
    expect(await cache.get('k', loader.load)).toBe(1);
    now = 100;
    expect(await cache.get('k', loader.load)).toBe(2);
    expect(loader.calls).toBe(2);
  });

  it('takes up to jitterRatio of the TTL off each entry', async () => {
    let now = 0;
    const cache = new ReadThroughCache<number>({
      ttlMs: 100,
      jitterRatio: 0.5,
      now: () => now,
      random: () => 0.999,
    });
    const loader = counting(() => 1);
    await cache.get('k', loader.load);
    now = 50; // 100 * (1 - 0.5 * 0.999) ≈ 50.05
    await cache.get('k', loader.load);
    expect(loader.calls).toBe(1);
    now = 51;
    await cache.get('k', loader.load);
    expect(loader.calls).toBe(2);
  });

  it('reloads after invalidate', async () => {
    const cache = new ReadThroughCache<number>({ ttlMs: 10_000 });
    let version = 1;
    const loader = counting(() => version);
    await cache.get('k', loader.load);
    version = 2;
    cache.invalidate('k');
    expect(await cache.get('k', loader.load)).toBe(2);
  });

  it('does not store a value whose load was in flight when the key was invalidated', async () => {
    const cache = new ReadThroughCache<string>({ ttlMs: 10_000 });
    const stale = gatedLoader(() => 'before the write');
    const read = cache.get('k', stale.load);
    cache.invalidate('k');
    const fresh = counting(() => 'after the write');
    const second = cache.get('k', fresh.load);
    stale.release();
    expect(await read).toBe('before the write');
    expect(await second).toBe('after the write');
    expect(await cache.get('k', fresh.load)).toBe('after the write');
    expect(fresh.calls).toBe(1);
  });

  it('never caches an absent value', async () => {
    const cache = new ReadThroughCache<string>({ ttlMs: 10_000 });
    const loader = counting(() => undefined);
    await cache.get('k', loader.load);
    await cache.get('k', loader.load);
    expect(loader.calls).toBe(2);
    expect(cache.size).toBe(0);
  });

  it('shares a failed load with its waiters and does not cache the failure', async () => {
    const cache = new ReadThroughCache<string>({ ttlMs: 10_000 });
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new Error('db down');
    };
    const results = await Promise.allSettled([cache.get('k', failing), cache.get('k', failing)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toBe(1);
    expect(await cache.get('k', async () => 'up again')).toBe('up again');
  });

  it('evicts the oldest entry beyond maxEntries', async () => {
    const cache = new ReadThroughCache<string>({ ttlMs: 10_000, maxEntries: 2 });
    const loader = counting((key) => key);
    await cache.get('a', loader.load);
    await cache.get('b', loader.load);
    await cache.get('c', loader.load);
    expect(cache.size).toBe(2);
    await cache.get('a', loader.load);
    expect(loader.calls).toBe(4);
  });

  it('with a TTL of 0 stores nothing but still coalesces concurrent loads', async () => {
    const cache = new ReadThroughCache<string>({ ttlMs: 0 });
    const loader = gatedLoader(() => 'v');
    const reads = [cache.get('k', loader.load), cache.get('k', loader.load)];
    loader.release();
    await Promise.all(reads);
    expect(loader.calls).toBe(1);
    expect(cache.size).toBe(0);
  });
});
