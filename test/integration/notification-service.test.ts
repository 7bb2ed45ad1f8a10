import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { DELIVERED_PREFIX, TableOutboxChannel } from '../../lib/notification/channel.js';
import { dedupeKey } from '../../lib/notification/dedupe.js';
import { DynamoNotificationRepository } from '../../lib/notification/notification-repository.js';
import {
  listNotifications,
  sendNotification,
} from '../../lib/notification/notification-service.js';
import type { PendingNotification } from '../../lib/notification/types.js';
import { dynamoFromEnv } from '../../lib/shared/dynamo.js';

const { client, doc } = dynamoFromEnv();
afterAll(() => client.destroy());

const table = process.env.NOTIFICATIONS_TABLE ?? '';
const repository = new DynamoNotificationRepository({ doc, table });
const channel = new TableOutboxChannel({ doc, table });
const deps = { repository, channel, dedupeWindowSeconds: 0 };
const ctx = { correlationId: 'corr-notif-0001', caller: 'payment' };
const uid = (prefix: string) =>
  `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

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

describe('Notification use cases on DynamoDB Local', () => {
  it('sends exactly once when 20 identical notifications arrive at once, and records every skip', async () => {
    const userId = uid('u');
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        sendNotification(deps, { userId, message: 'Order o-1 is paid' }, ctx),
      ),
    );
    const sent = results.filter((r) => r.status === 'SENT');
    expect(sent).toHaveLength(1);
    const skipped = results.filter((r) => r.status === 'SKIPPED');
    expect(skipped).toHaveLength(19);
    expect(
      skipped.every((r) => r.record.originalNotificationId === sent[0]?.record.notificationId),
    ).toBe(true);
    expect(await delivered(userId)).toHaveLength(1);
    const page = await listNotifications(repository, { userId, limit: 100 });
    expect(page.items).toHaveLength(20);
    expect(page.items.filter((i) => i.status === 'SENT')).toHaveLength(1);
  });

  it('sends once per eventId when one event is redelivered 10 times at once', async () => {
    const userId = uid('u');
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        sendNotification(deps, { userId, message: 'paid', eventId: `${userId}-e` }, ctx),
      ),
    );
    expect(results.filter((r) => r.status === 'SENT')).toHaveLength(1);
    expect(results.filter((r) => r.record.reason === 'DUPLICATE_EVENT')).toHaveLength(9);
    expect(await delivered(userId)).toHaveLength(1);
  });

  it('sends the message again after the dedupe window, even before TTL removes the claim', async () => {
    const userId = uid('u');
    let now = Date.now();
    const windowed = { ...deps, dedupeWindowSeconds: 60, now: () => new Date(now) };
    expect((await sendNotification(windowed, { userId, message: 'hi' }, ctx)).status).toBe('SENT');
    now += 30_000;
    expect((await sendNotification(windowed, { userId, message: 'hi' }, ctx)).status).toBe(
      'SKIPPED',
    );
    now += 31_000;
    expect((await sendNotification(windowed, { userId, message: 'hi' }, ctx)).status).toBe('SENT');
    expect(await delivered(userId)).toHaveLength(2);
  });

  it("pages through a user's notifications newest first, every record once", async () => {
    const userId = uid('u');
    const start = Date.parse('2026-01-01T00:00:00.000Z');
    let tick = 0;
    const clocked = { ...deps, now: () => new Date(start + 1000 * tick++) };
    for (let i = 0; i < 7; i++)
      await sendNotification(clocked, { userId, message: `m-${i % 4}` }, ctx);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listNotifications(repository, { userId, limit: 3, cursor });
      seen.push(...page.items.map((i) => i.createdAt));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(7);
    expect(seen).toEqual([...seen].sort().reverse());
  });

  it('answers a cursor that decodes to a key DynamoDB would refuse with a 400 naming cursor', async () => {
    const userId = uid('u');
    await sendNotification(deps, { userId, message: 'hello' }, ctx);
    const cursor = (sk: string) =>
      Buffer.from(JSON.stringify({ pk: `USER#${userId}`, sk })).toString('base64url');
    // An empty sort key was a ValidationException from DynamoDB, answered 503.
    for (const sk of ['', ' ', '\ud800']) {
      const error = await listNotifications(repository, {
        userId,
        limit: 3,
        cursor: cursor(sk),
      }).catch((e: unknown) => e);
      expect(error, JSON.stringify(sk)).toMatchObject({
        status: 400,
        code: 'VALIDATION_FAILED',
        details: [{ field: 'cursor', issue: expect.any(String) }],
      });
    }
  });

  it('recovers a claim whose holder died: 409 while its lease runs, then one send under the eventId', async () => {
    const userId = uid('u');
    const input = { userId, message: 'Order o-7 is paid', eventId: `${userId}-e` };
    let clock = Date.now();
    const leased = { ...deps, now: () => new Date(clock), leaseSeconds: 15, inProgressWaitMs: 0 };
    // The holder claims the eventId and the message and dies before its channel call.
    const dead: PendingNotification = {
      notificationId: `${userId}-dead`,
      ...input,
      dedupeKey: dedupeKey(userId, input.message),
      correlationId: 'corr-dead-0001',
      caller: 'payment',
      createdAt: new Date(clock).toISOString(),
      leaseUntil: clock + 15_000,
    };
    expect(await repository.claimEvent(dead)).toBe('claimed');
    expect(await repository.claimMessage(dead, { nowSeconds: Math.floor(clock / 1000) })).toBe(
      'claimed',
    );

    await expect(sendNotification(leased, input, ctx)).rejects.toMatchObject({
      status: 409,
      code: 'NOTIFICATION_IN_PROGRESS',
      headers: { 'Retry-After': '15' },
    });
    clock += 16_000;
    const [a, b] = await Promise.all([
      sendNotification(leased, input, ctx).catch((e) => e),
      sendNotification(leased, input, ctx).catch((e) => e),
    ]);
    // One takes the lease over and sends; the other is told to come back (or sees it SENT).
    const statuses = [a, b].map((r) => r.status);
    expect(statuses).toContain('SENT');
    const items = await delivered(userId);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ sk: input.eventId, notificationId: `${userId}-dead` });
    const page = await listNotifications(repository, { userId, limit: 100 });
    expect(page.items.filter((i) => i.status === 'SENT')).toHaveLength(1);
    // Nothing left half-done: the dead holder's notification is the one recorded SENT.
    expect(page.items.find((i) => i.status === 'SENT')?.notificationId).toBe(`${userId}-dead`);
  });
});
