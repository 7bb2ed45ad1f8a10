import { describe, expect, it } from 'vitest';
import { cpuPer, processCpuMs, throughputBound } from '../../scripts/lib/measure/cpu.mjs';

describe('the bench CPU attribution (scripts/lib/measure/cpu.mjs)', () => {
  it("reads a live process's CPU from /proc, and nothing for a process that is gone", () => {
    const before = processCpuMs(process.pid);
    let spin = 0;
    const until = process.cpuUsage().user + 50_000;
    while (process.cpuUsage().user < until) spin++;
    const after = processCpuMs(process.pid);
    expect(spin).toBeGreaterThan(0);
    expect(before).toBeTypeOf('number');
    expect(after).toBeGreaterThan(before ?? Number.POSITIVE_INFINITY);
    expect(processCpuMs(2 ** 30)).toBeUndefined();
    expect(processCpuMs(undefined)).toBeUndefined();
  });

  it('divides what each process spent by the requests done, and keeps an unmeasured one unmeasured', () => {
    expect(
      cpuPer(
        { client: 100, offline: 1000, dynamodb: undefined },
        { client: 150, offline: 1600, dynamodb: 7 },
        10,
      ),
    ).toEqual({ client: 5, offline: 60, dynamodb: undefined });
    expect(cpuPer({ client: 1 }, { client: 2 }, 0)).toEqual({ client: undefined });
  });

  it("bounds the flow's share by the storage, the client and the routing it cannot do without", () => {
    // Ceiling: 9 ms of offline for 3 invocations, 1 ms of client, no storage: 10 ms a chain.
    // Payment: 20 ms of DynamoDB Local, 4 of client, 4 invocations at 3 ms: 36 ms at best.
    const bound = throughputBound({
      ceiling: { offline: 9, dynamodb: 0, client: 1 },
      payment: { offline: 50, dynamodb: 20, client: 4 },
      ceilingInvocations: 3,
      paymentInvocations: 4,
    });
    expect(bound?.offlineMs).toBeCloseTo(12);
    expect(bound?.floorMs).toBeCloseTo(36);
    expect(bound?.share).toBeCloseTo(10 / 36);
    expect(
      throughputBound({
        ceiling: { offline: 9, client: 1 },
        payment: { offline: 50, dynamodb: undefined, client: 4 },
        ceilingInvocations: 3,
        paymentInvocations: 4,
      }),
    ).toBeUndefined();
  });
});
