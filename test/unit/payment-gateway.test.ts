import { describe, expect, it } from 'vitest';
import { SimulatedGateway, simulatedDecline } from '../../lib/payment/simulator/gateway.js';
import { InMemoryGatewayLedger } from '../../lib/payment/simulator/gateway-ledger.js';

const request = {
  idempotencyKey: 'tx-1',
  amountMinor: 12550,
  currency: 'USD' as const,
  userId: 'u-1',
};

describe('Class: SimulatedGateway', () => {
  it('declines amounts whose minor units end in 51 with insufficient_funds', () => {
    expect(simulatedDecline(1051)).toBe('insufficient_funds');
    expect(simulatedDecline(151)).toBe('insufficient_funds');
    expect(simulatedDecline(1050)).toBeUndefined();
    expect(simulatedDecline(5100)).toBeUndefined();
  });

  it('answers the same key with the same result and charges it once', async () => {
    const gateway = new SimulatedGateway();
    const first = await gateway.charge(request);
    const second = await gateway.charge(request);
    expect(first).toEqual({ outcome: 'succeeded', gatewayReference: 'sim_tx-1' });
    expect(second).toEqual(first);
    expect(gateway.charges.size).toBe(1);
    expect(gateway.calls).toBe(2);
  });

  it('answers a declined charge with its reason', async () => {
    const result = await new SimulatedGateway().charge({ ...request, amountMinor: 2051 });
    expect(result).toMatchObject({ outcome: 'declined', reason: 'insufficient_funds' });
  });

  it('fails with 503 and charges nothing when told it is unavailable', async () => {
    const gateway = new SimulatedGateway();
    await expect(
      gateway.charge(request, [{ target: 'gateway', kind: 'unavailable' }]),
    ).rejects.toMatchObject({ status: 503, code: 'GATEWAY_UNAVAILABLE' });
    expect(gateway.charges.size).toBe(0);
  });

  it('charges and then loses the answer when told to time out', async () => {
    const gateway = new SimulatedGateway();
    await expect(gateway.charge(request, [{ target: 'gateway', kind: 'timeout' }])).rejects.toThrow(
      /did not answer/,
    );
    expect(gateway.charges.size).toBe(1);
  });

  it('keeps its ledger apart from the caller: a new instance on the same ledger replays the first answer', async () => {
    const ledger = new InMemoryGatewayLedger();
    // The first caller dies after the gateway charged: only the ledger remembers.
    await expect(
      new SimulatedGateway({ ledger }).charge(request, [{ target: 'gateway', kind: 'timeout' }]),
    ).rejects.toThrow(/did not answer/);
    const next = new SimulatedGateway({ ledger });
    expect(await next.retrieve('tx-1')).toEqual({
      outcome: 'succeeded',
      gatewayReference: 'sim_tx-1',
    });
    // Even a repeat with another amount gets the first answer, not a second charge.
    expect(await next.charge({ ...request, amountMinor: 2051 })).toEqual({
      outcome: 'succeeded',
      gatewayReference: 'sim_tx-1',
    });
    expect(ledger.entries.size).toBe(1);
  });

  it('retrieves nothing for a key it never charged', async () => {
    const gateway = new SimulatedGateway();
    await expect(
      gateway.charge(request, [{ target: 'gateway', kind: 'unavailable' }]),
    ).rejects.toMatchObject({ status: 503 });
    expect(await gateway.retrieve('tx-1')).toBeUndefined();
  });

  it('answers slowly when told to delay', async () => {
    const started = Date.now();
    await new SimulatedGateway().charge(request, [{ target: 'gateway', kind: 'delay', value: 50 }]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('refuses a charge under a key voided first: the first of a charge and a void wins', async () => {
    const gateway = new SimulatedGateway();
    expect(await gateway.void('tx-1')).toMatchObject({ outcome: 'voided' });
    expect(await gateway.charge(request)).toMatchObject({ outcome: 'voided' });
    expect(await gateway.retrieve('tx-1')).toMatchObject({ outcome: 'voided' });
  });

  it('cannot void a key that charged: the void answers the charge', async () => {
    const gateway = new SimulatedGateway();
    await gateway.charge(request);
    expect(await gateway.void('tx-1')).toMatchObject({ outcome: 'succeeded' });
    expect(await gateway.retrieve('tx-1')).toMatchObject({ outcome: 'succeeded' });
  });

  it('charges nothing when its caller aborts a delayed call', async () => {
    const gateway = new SimulatedGateway();
    const controller = new AbortController();
    const call = gateway.charge(
      request,
      [{ target: 'gateway', kind: 'delay', value: 60_000 }],
      controller.signal,
    );
    controller.abort();
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    expect(await gateway.retrieve('tx-1')).toBeUndefined();
  });

  it('still charges a lagging call after its caller gave up, unless the key was voided first', async () => {
    const ledger = new InMemoryGatewayLedger();
    const gateway = new SimulatedGateway({ ledger });
    const lag = [{ target: 'gateway', kind: 'lag', value: 30 }];
    const landed = new Promise<void>((resolve) => {
      const record = ledger.record.bind(ledger);
      ledger.record = async (entry) => {
        const first = await record(entry);
        if (entry.amountMinor !== undefined) resolve();
        return first;
      };
    });
    const controller = new AbortController();
    const call = gateway.charge(request, lag, controller.signal);
    controller.abort();
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    await landed;
    expect(await gateway.retrieve('tx-1')).toMatchObject({ outcome: 'succeeded' });

    const fenced = new SimulatedGateway();
    const late = fenced.charge({ ...request, idempotencyKey: 'tx-2' }, lag);
    await fenced.void('tx-2');
    expect(await late).toMatchObject({ outcome: 'voided' });
  });
});
