import { beforeAll, describe, expect, it } from 'vitest';
import { api, expectErrorFormat, uniqueId } from '../support/http.js';
import { paymentCallHeaders } from '../support/service-tokens.js';

// A valid payment-service token, checked by the real authorizer.
let internal: Record<string, string> = {};
beforeAll(async () => {
  internal = await paymentCallHeaders('notification');
});

function send(body: unknown) {
  return api('POST', '/notifications', { body, headers: internal });
}

describe('Notification service over serverless-offline', () => {
  it('is refused with 401 without a bearer token', async () => {
    const response = await api('POST', '/notifications', {
      body: { userId: 'u-1', message: 'hi' },
    });
    expect(response.status).toBe(401);
  });

  it('sends the first message (201 SENT) and skips a repeat (200 SKIPPED naming the original)', async () => {
    const userId = uniqueId('u');
    const first = await send({ userId, message: 'Your order is paid', eventId: uniqueId('e') });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      status: 'SENT',
      userId,
      notificationId: expect.any(String),
    });
    const repeat = await send({ userId, message: 'Your order is paid' });
    expect(repeat.status).toBe(200);
    expect(repeat.body).toMatchObject({
      status: 'SKIPPED',
      reason: 'DUPLICATE_MESSAGE',
      originalNotificationId: first.body.notificationId,
    });
  });

  it('skips a redelivered eventId as DUPLICATE_EVENT', async () => {
    const userId = uniqueId('u');
    const eventId = uniqueId('e');
    const first = await send({ userId, message: 'one', eventId });
    const again = await send({ userId, message: 'one', eventId });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      reason: 'DUPLICATE_EVENT',
      originalNotificationId: first.body.notificationId,
    });
  });

  it('sends exactly once when 10 identical notifications arrive at once', async () => {
    const userId = uniqueId('u');
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => send({ userId, message: 'Order o-9 is paid' })),
    );
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 200 && r.body.status === 'SKIPPED')).toHaveLength(
      9,
    );
    const list = await api('GET', `/notifications?userId=${userId}&limit=50`);
    expect(list.body.items.filter((i: { status: string }) => i.status === 'SENT')).toHaveLength(1);
    expect(list.body.items).toHaveLength(10);
  });

  it('answers a bad body with 400 naming each bad field', async () => {
    const response = await send({ userId: 'bad id', message: '', extra: 1 });
    expect(response.status).toBe(400);
    const fields = expectErrorFormat(response.body).details.map(
      (d) => (d as { field: string }).field,
    );
    expect(fields).toEqual(expect.arrayContaining(['userId', 'message', 'extra']));
  });

  it('lists sent and skipped notifications newest first, a page at a time', async () => {
    const userId = uniqueId('u');
    for (const message of ['a', 'b', 'a', 'c', 'b']) {
      await send({ userId, message });
    }
    const seen: { status: string; createdAt: string; message: string }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `/notifications?userId=${userId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await api('GET', query);
      expect(page.status).toBe(200);
      expect(page.body.userId).toBe(userId);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen.map((i) => i.message)).toEqual(['b', 'c', 'a', 'b', 'a']);
    expect(seen.map((i) => i.status)).toEqual(['SKIPPED', 'SENT', 'SKIPPED', 'SENT', 'SENT']);
  });

  it.each([
    ['no userId', '/notifications', 'userId'],
    ['a bad userId', '/notifications?userId=bad%20id', 'userId'],
    ['a bad limit', '/notifications?userId=u-1&limit=0', 'limit'],
    ['a forged cursor', '/notifications?userId=u-1&cursor=bm9wZQ', 'cursor'],
  ])('answers a list with %s with 400 naming it', async (_what, path, field) => {
    const response = await api('GET', path);
    expect(response.status).toBe(400);
    expect(expectErrorFormat(response.body).details).toEqual(
      expect.arrayContaining([expect.objectContaining({ field })]),
    );
  });
});
