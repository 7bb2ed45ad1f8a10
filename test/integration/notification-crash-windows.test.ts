import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DELIVERED_PREFIX,
  type NotificationChannel,
  type OutgoingNotification,
  TableOutboxChannel,
} from '../../lib/notification/channel.js';
import { dedupeKey } from '../../lib/notification/dedupe.js';
import { DynamoNotificationRepository } from '../../lib/notification/notification-repository.js';
import {
  listNotifications,
  type NotificationServiceDeps,
  sendNotification,
} from '../../lib/notification/notification-service.js';
import type { NotificationRecord, PendingNotification } from '../../lib/notification/types.js';
import { dynamoFromEnv } from '../../lib/shared/dynamo.js';
import { uniqueId } from '../support/http.js';

// Each test leaves the store as a sender that died at one point of its
// writes would (claim of the eventId, claim of the message, the channel, the
// record), then checks that the next requests neither block the message for
// good nor send it twice.
const { client, doc } = dynamoFromEnv();
afterAll(() => client.destroy());

const table = process.env.NOTIFICATIONS_TABLE ?? '';
const repository = new DynamoNotificationRepository({ doc, table });
const channel = new TableOutboxChannel({ doc, table });
const ctx = { correlationId: 'corr-crash-0001', caller: 'payment' };
const LEASE_SECONDS = 15;

/** Deps on a clock the test moves; a duplicate answers at once rather than waiting. */
function clocked(overrides: Partial<NotificationServiceDeps> = {}) {
  let clock = Date.now();
  const deps: NotificationServiceDeps = {
    repository,
    channel,
    dedupeWindowSeconds: 0,
    leaseSeconds: LEASE_SECONDS,
    inProgressWaitMs: 0,
    now: () => new Date(clock),
    ...overrides,
  };
  return {
    deps,
    at: () => clock,
    advance: (seconds: number) => {
      clock += seconds * 1000;
    },
  };
}

/** A notification as its sender held it, with its lease from `at`. */
function pendingOf(
  input: { userId: string; message: string; eventId?: string },
  at: number,
): PendingNotification {
  return {
    notificationId: `${input.userId}-dead`,
    ...input,
    dedupeKey: dedupeKey(input.userId, input.message),
    correlationId: 'corr-dead-0001',
    caller: 'payment',
    createdAt: new Date(at).toISOString(),
    leaseUntil: at + LEASE_SECONDS * 1000,
  };
}

/** What the user received (the local channel's copies). */
async function delivered(userId: string) {
  const { Items } = await doc.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `${DELIVERED_PREFIX}${userId}` },
      ConsistentRead: true,
    }),
  );
  return Items ?? [];
}

/** The user's records, newest first. */
async function records(userId: string) {
  return (await listNotifications(repository, { userId, limit: 100 })).items;
}

/** What `promise` threw (or its result). */
const outcome = (promise: Promise<unknown>) => promise.catch((error: unknown) => error);

/** A gate a test opens when it wants a waiting call to go on. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe('Notification crash windows on DynamoDB Local', () => {
  it('after the eventId is claimed, before the message: 409 while the lease runs, then the takeover sends that notification once', async () => {
    const userId = uniqueId('u');
    const input = { userId, message: 'Order o-1 is paid', eventId: `${userId}-e` };
    const { deps, at, advance } = clocked();
    const dead = pendingOf(input, at());
    expect(await repository.claimEvent(dead)).toBe('claimed');

    await expect(sendNotification(deps, input, ctx)).rejects.toMatchObject({
      status: 409,
      code: 'NOTIFICATION_IN_PROGRESS',
    });
    advance(LEASE_SECONDS + 1);
    const taken = await sendNotification(deps, input, ctx);
    expect(taken).toMatchObject({
      status: 'SENT',
      record: { notificationId: dead.notificationId, correlationId: 'corr-dead-0001' },
    });
    expect(await delivered(userId)).toEqual([
      expect.objectContaining({ sk: input.eventId, notificationId: dead.notificationId }),
    ]);
    const again = await sendNotification(deps, input, ctx);
    expect(again.record).toMatchObject({ status: 'SKIPPED', reason: 'DUPLICATE_EVENT' });
    expect(await delivered(userId)).toHaveLength(1);
  });

  it('after the channel delivered, before the record: the takeover records it SENT and the user has it once', async () => {
    const userId = uniqueId('u');
    const input = { userId, message: 'Order o-2 is paid', eventId: `${userId}-e` };
    const { deps, at, advance } = clocked();
    const dead = pendingOf(input, at());
    expect(await repository.claimEvent(dead)).toBe('claimed');
    expect(await repository.claimMessage(dead, { nowSeconds: Math.floor(at() / 1000) })).toBe(
      'claimed',
    );
    await channel.send({ ...dead, idempotencyKey: input.eventId });

    advance(LEASE_SECONDS + 1);
    expect((await sendNotification(deps, input, ctx)).status).toBe('SENT');
    expect(await delivered(userId)).toHaveLength(1);
    expect((await records(userId)).map((r) => [r.notificationId, r.status])).toEqual([
      [dead.notificationId, 'SENT'],
    ]);
  });

  it("lets a repeat of the message without an eventId finish the dead holder's notification under its eventId, not send its own", async () => {
    const userId = uniqueId('u');
    const input = { userId, message: 'Order o-3 is paid', eventId: `${userId}-e` };
    const { deps, at, advance } = clocked();
    const dead = pendingOf(input, at());
    await repository.claimEvent(dead);
    await repository.claimMessage(dead, { nowSeconds: Math.floor(at() / 1000) });
    await channel.send({ ...dead, idempotencyKey: input.eventId });

    const plain = { userId, message: input.message };
    await expect(sendNotification(deps, plain, ctx)).rejects.toMatchObject({ status: 409 });
    advance(LEASE_SECONDS + 1);
    const result = await sendNotification(deps, plain, ctx);
    expect(result).toMatchObject({
      status: 'SENT',
      record: { notificationId: dead.notificationId, eventId: input.eventId },
    });
    expect(await delivered(userId)).toHaveLength(1);
    // The event's own redelivery is then a duplicate.
    const event = await sendNotification(deps, input, ctx);
    expect(event.record).toMatchObject({ status: 'SKIPPED', reason: 'DUPLICATE_EVENT' });
  });

  it('without an eventId, after the message is claimed: 409 while the lease runs, then one send under its notificationId', async () => {
    const userId = uniqueId('u');
    const input = { userId, message: 'Your code is 1234' };
    const { deps, at, advance } = clocked();
    const dead = pendingOf(input, at());
    expect(await repository.claimMessage(dead, { nowSeconds: Math.floor(at() / 1000) })).toBe(
      'claimed',
    );
    await channel.send({ ...dead, idempotencyKey: dead.notificationId });

    await expect(sendNotification(deps, input, ctx)).rejects.toMatchObject({ status: 409 });
    advance(LEASE_SECONDS + 1);
    const [a, b] = await Promise.all([
      outcome(sendNotification(deps, input, ctx)),
      outcome(sendNotification(deps, input, ctx)),
    ]);
    // One takes the lease over and sends; the other waits it out or is told to come back.
    expect([a, b].map((r) => (r as { status?: unknown }).status)).toContain('SENT');
    expect(await delivered(userId)).toEqual([expect.objectContaining({ sk: dead.notificationId })]);
    expect((await records(userId)).filter((r) => r.status === 'SENT')).toEqual([
      expect.objectContaining({ notificationId: dead.notificationId }),
    ]);
  });

  it('after recording FAILED, before giving the claims back: the next delivery after the lease sends it, once', async () => {
    const userId = uniqueId('u');
    const input = { userId, message: 'Order o-4 is paid', eventId: `${userId}-e` };
    const { deps, at, advance } = clocked();
    const dead = pendingOf(input, at());
    await repository.claimEvent(dead);
    await repository.claimMessage(dead, { nowSeconds: Math.floor(at() / 1000) });
    const { leaseUntil: _lease, ...rest } = dead;
    expect(await repository.put({ ...rest, status: 'FAILED' })).toBe(true);

    await expect(sendNotification(deps, input, ctx)).rejects.toMatchObject({ status: 409 });
    advance(LEASE_SECONDS + 1);
    expect((await sendNotification(deps, input, ctx)).status).toBe('SENT');
    expect(await delivered(userId)).toHaveLength(1);
    // The failed attempt is superseded by the send: one record, SENT.
    expect((await records(userId)).map((r) => [r.notificationId, r.status])).toEqual([
      [dead.notificationId, 'SENT'],
    ]);
  });

  it('between giving back the event claim and the message claim: the message claim left behind does not block a retry', async () => {
    const userId = uniqueId('u');
    const input = { userId, message: 'Order o-5 is paid', eventId: `${userId}-e` };
    const { deps, at } = clocked();
    const dead = pendingOf(input, at());
    await repository.claimEvent(dead);
    await repository.claimMessage(dead, { nowSeconds: Math.floor(at() / 1000) });
    // Its lead given back (the send failed), then it died: the message claim points at nothing.
    await repository.release(dead, { message: false });

    const retry = await sendNotification(deps, input, ctx);
    expect(retry.status).toBe('SENT');
    expect(retry.record.notificationId).not.toBe(dead.notificationId);
    expect(await delivered(userId)).toHaveLength(1);
  });

  it('after recording SKIPPED, before giving the event claim back: a redelivery after the lease is SKIPPED again and frees the eventId', async () => {
    const userId = uniqueId('u');
    const message = 'Order o-6 is paid';
    const { deps, at, advance } = clocked();
    const first = await sendNotification(deps, { userId, message, eventId: `${userId}-e1` }, ctx);
    expect(first.status).toBe('SENT');
    advance(1);
    // A second event with the same message: it claimed its eventId, found the
    // message SENT, recorded SKIPPED and died before giving its claim back.
    const input = { userId, message, eventId: `${userId}-e2` };
    const dead = pendingOf(input, at());
    await repository.claimEvent(dead);
    const { leaseUntil: _lease, ...rest } = dead;
    await repository.put({
      ...rest,
      status: 'SKIPPED',
      reason: 'DUPLICATE_MESSAGE',
      originalNotificationId: first.record.notificationId,
    });

    advance(LEASE_SECONDS + 1);
    const again = await sendNotification(deps, input, ctx);
    expect(again.record).toMatchObject({
      notificationId: dead.notificationId,
      status: 'SKIPPED',
      reason: 'DUPLICATE_MESSAGE',
      originalNotificationId: first.record.notificationId,
    });
    expect(await repository.eventClaim(input.eventId)).toBeUndefined();
    expect(await delivered(userId)).toHaveLength(1);
    expect((await records(userId)).map((r) => r.status)).toEqual(['SKIPPED', 'SENT']);
  });

  it('gives both claims back when the channel fails (FAILED), so the retry sends at once', async () => {
    const userId = uniqueId('u');
    const input = { userId, message: 'Order o-7 is paid', eventId: `${userId}-e` };
    let failures = 1;
    const flaky: NotificationChannel = {
      name: channel.name,
      send: async (notification: OutgoingNotification) => {
        if (failures-- > 0) throw new Error('channel down');
        await channel.send(notification);
      },
    };
    const { deps, advance } = clocked({ channel: flaky });
    await expect(sendNotification(deps, input, ctx)).rejects.toMatchObject({
      status: 503,
      code: 'NOTIFICATION_NOT_SENT',
    });
    expect(await repository.eventClaim(input.eventId)).toBeUndefined();
    expect(await repository.messageClaim(dedupeKey(userId, input.message))).toBeUndefined();
    advance(1);
    expect((await sendNotification(deps, input, ctx)).status).toBe('SENT');
    expect(await delivered(userId)).toHaveLength(1);
    expect((await records(userId)).map((r) => r.status)).toEqual(['SENT', 'FAILED']);
  });

  it('does not send a redelivered event again after the dedupe window, even though the message could be', async () => {
    const userId = uniqueId('u');
    const input = { userId, message: 'Order o-8 is paid', eventId: `${userId}-e` };
    const { deps, advance } = clocked({ dedupeWindowSeconds: 60 });
    expect((await sendNotification(deps, input, ctx)).status).toBe('SENT');
    advance(61);
    const redelivered = await sendNotification(deps, input, ctx);
    expect(redelivered.record).toMatchObject({ status: 'SKIPPED', reason: 'DUPLICATE_EVENT' });
    expect((await sendNotification(deps, { userId, message: input.message }, ctx)).status).toBe(
      'SENT',
    );
    expect(await delivered(userId)).toHaveLength(2);
  });

  it('a holder slower than its lease and its taker: one delivery, one SENT record', async () => {
    const userId = uniqueId('u');
    const input = { userId, message: 'Order o-9 is paid', eventId: `${userId}-e` };
    const reached = gate();
    const release = gate();
    let calls = 0;
    const slowOnce: NotificationChannel = {
      name: channel.name,
      send: async (notification: OutgoingNotification) => {
        if (calls++ === 0) {
          reached.open();
          await release.opened;
        }
        await channel.send(notification);
      },
    };
    const { deps, advance } = clocked({ channel: slowOnce });
    const slow = sendNotification(deps, input, ctx);
    await reached.opened;
    advance(LEASE_SECONDS + 1);
    const taker = await sendNotification(deps, input, ctx);
    release.open();
    const holder = await slow;
    expect([holder.status, taker.status]).toEqual(['SENT', 'SENT']);
    expect(taker.record.notificationId).toBe(holder.record.notificationId);
    expect(await delivered(userId)).toHaveLength(1);
    const sent: NotificationRecord[] = await records(userId);
    expect(sent.map((r) => r.status)).toEqual(['SENT']);
  });
});
