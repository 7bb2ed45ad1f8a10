import { describe, expect, it } from 'vitest';
import type { NotificationChannel, OutgoingNotification } from '../../lib/notification/channel.js';
import { decodeCursor, encodeCursor } from '../../lib/notification/cursor.js';
import { dedupeKey } from '../../lib/notification/dedupe.js';
import type {
  LeadKey,
  MessageClaimOptions,
  NotificationRepository,
  RecordPage,
} from '../../lib/notification/notification-repository.js';
import {
  listNotifications,
  sendNotification,
} from '../../lib/notification/notification-service.js';
import type {
  NotificationClaim,
  NotificationRecord,
  PendingNotification,
} from '../../lib/notification/types.js';
import { isAppError } from '../../lib/shared/errors.js';

/** An in-memory NotificationRepository with the DynamoDB adapter's conditions. */
class FakeNotificationRepository implements NotificationRepository {
  records: NotificationRecord[] = [];
  /** `E#<eventId>` and `M#<dedupeKey>`, as the table's EVENT# and DEDUPE# items. */
  claims = new Map<string, NotificationClaim>();

  async claimEvent(pending: PendingNotification) {
    const key = `E#${pending.eventId}`;
    const held = this.claims.get(key);
    if (held) return { ...held };
    const { notificationId, userId, createdAt, leaseUntil, message, correlationId, caller } =
      pending;
    this.claims.set(key, {
      notificationId,
      userId,
      createdAt,
      leaseUntil,
      message,
      correlationId,
      caller,
    });
    return 'claimed' as const;
  }
  async claimMessage(pending: PendingNotification, options: MessageClaimOptions) {
    const key = `M#${pending.dedupeKey}`;
    const held = this.claims.get(key);
    const free =
      !held ||
      (held.expiresAt !== undefined && held.expiresAt < options.nowSeconds) ||
      held.notificationId === pending.notificationId ||
      held.notificationId === options.replacing;
    if (held && !free) return { ...held };
    const { notificationId, userId, createdAt, eventId, leaseUntil, correlationId, caller } =
      pending;
    this.claims.set(key, {
      notificationId,
      userId,
      createdAt,
      expiresAt: options.expiresAt,
      ...(eventId === undefined ? { leaseUntil, correlationId, caller } : { eventId }),
    });
    return 'claimed' as const;
  }
  async eventClaim(eventId: string) {
    const claim = this.claims.get(`E#${eventId}`);
    return claim ? { ...claim } : undefined;
  }
  async messageClaim(key: string) {
    const claim = this.claims.get(`M#${key}`);
    return claim ? { ...claim } : undefined;
  }
  async get(key: Pick<NotificationRecord, 'notificationId'>) {
    const found = this.records.find((r) => r.notificationId === key.notificationId);
    return found ? { ...found } : undefined;
  }
  async renewLease(lead: LeadKey, leaseUntil: number, nowMs: number) {
    const claim = this.claims.get(this.leadOf(lead));
    if (claim?.notificationId !== lead.notificationId) return false;
    if (claim.leaseUntil === undefined || claim.leaseUntil >= nowMs) return false;
    claim.leaseUntil = leaseUntil;
    return true;
  }
  async put(record: NotificationRecord) {
    const at = this.records.findIndex((r) => r.notificationId === record.notificationId);
    if (at < 0) {
      this.records.push({ ...record });
      return true;
    }
    if (record.status !== 'SENT' && this.records[at]?.status === 'SENT') return false;
    this.records[at] = { ...record };
    return true;
  }
  async release(pending: PendingNotification, options: { message: boolean }) {
    const lead = this.leadOf(pending);
    const claim = this.claims.get(lead);
    if (claim?.notificationId !== pending.notificationId) return;
    if (claim.leaseUntil !== pending.leaseUntil) return;
    this.claims.delete(lead);
    if (!options.message || pending.eventId === undefined) return;
    if (this.claims.get(`M#${pending.dedupeKey}`)?.notificationId === pending.notificationId) {
      this.claims.delete(`M#${pending.dedupeKey}`);
    }
  }
  async list(): Promise<RecordPage> {
    return { items: [...this.records].reverse() };
  }
  private leadOf(lead: Omit<LeadKey, 'notificationId'>) {
    return lead.eventId === undefined ? `M#${lead.dedupeKey}` : `E#${lead.eventId}`;
  }
}

class FakeChannel implements NotificationChannel {
  readonly name = 'fake';
  sent: OutgoingNotification[] = [];
  /** Keys delivered, as a channel with idempotency keys keeps them. */
  keys = new Set<string>();
  failNext = false;
  async send(notification: OutgoingNotification) {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('smtp down');
    }
    if (this.keys.has(notification.idempotencyKey)) return;
    this.keys.add(notification.idempotencyKey);
    this.sent.push(notification);
  }
}

const ctx = { correlationId: 'corr-0001', caller: 'payment' };

function setup(windowSeconds = 0) {
  let clock = Date.parse('2026-01-01T00:00:00.000Z');
  let id = 0;
  const repository = new FakeNotificationRepository();
  const channel = new FakeChannel();
  const deps = {
    repository,
    channel,
    dedupeWindowSeconds: windowSeconds,
    now: () => new Date(clock),
    newId: () => `n-${++id}`,
    sleep: async () => undefined,
  };
  return {
    repository,
    channel,
    deps,
    advance: (seconds: number) => {
      clock += seconds * 1000;
    },
  };
}

/** The status and code of what `promise` threw, or undefined if it resolved. */
async function failure(promise: Promise<unknown>) {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return isAppError(error)
      ? { status: error.status, code: error.code, headers: error.headers }
      : { status: 0, code: String(error) };
  }
}

/**
 * A notification whose holder claimed its eventId and its message and died
 * before its record: the claims stay, the lead with its lease.
 */
async function orphanedClaim(
  repository: FakeNotificationRepository,
  input: { userId: string; message: string; eventId: string },
  at: Date,
  leaseSeconds = 15,
) {
  const pending: PendingNotification = {
    notificationId: 'n-dead',
    ...input,
    dedupeKey: dedupeKey(input.userId, input.message),
    correlationId: 'corr-dead',
    caller: 'payment',
    createdAt: at.toISOString(),
    leaseUntil: at.getTime() + leaseSeconds * 1000,
  };
  await repository.claimEvent(pending);
  await repository.claimMessage(pending, { nowSeconds: Math.floor(at.getTime() / 1000) });
  return pending;
}

describe('Function: sendNotification', () => {
  it('sends the first message and records it as SENT', async () => {
    const { channel, deps, repository } = setup();
    const result = await sendNotification(
      deps,
      { userId: 'u-1', message: 'paid', eventId: 'e-1' },
      ctx,
    );
    expect(result.status).toBe('SENT');
    expect(result.record).toMatchObject({ notificationId: 'n-1', status: 'SENT', channel: 'fake' });
    expect(channel.sent).toEqual([expect.objectContaining({ userId: 'u-1', message: 'paid' })]);
    expect(repository.records[0]?.status).toBe('SENT');
  });

  it('skips the same message to the same user, naming the original', async () => {
    const { channel, deps } = setup();
    await sendNotification(deps, { userId: 'u-1', message: 'paid' }, ctx);
    const repeat = await sendNotification(deps, { userId: 'u-1', message: 'paid' }, ctx);
    expect(repeat.status).toBe('SKIPPED');
    expect(repeat.record).toMatchObject({
      reason: 'DUPLICATE_MESSAGE',
      originalNotificationId: 'n-1',
    });
    expect(channel.sent).toHaveLength(1);
  });

  it('skips a repeated eventId as DUPLICATE_EVENT even with another message', async () => {
    const { channel, deps } = setup();
    await sendNotification(deps, { userId: 'u-1', message: 'paid', eventId: 'e-1' }, ctx);
    const repeat = await sendNotification(
      deps,
      { userId: 'u-1', message: 'other', eventId: 'e-1' },
      ctx,
    );
    expect(repeat.record).toMatchObject({
      status: 'SKIPPED',
      reason: 'DUPLICATE_EVENT',
      originalNotificationId: 'n-1',
    });
    expect(channel.sent).toHaveLength(1);
  });

  it('sends the same message to another user', async () => {
    const { channel, deps } = setup();
    await sendNotification(deps, { userId: 'u-1', message: 'paid' }, ctx);
    const other = await sendNotification(deps, { userId: 'u-2', message: 'paid' }, ctx);
    expect(other.status).toBe('SENT');
    expect(channel.sent).toHaveLength(2);
  });

  it('sends again once the dedupe window has passed', async () => {
    const { channel, deps, advance } = setup(60);
    await sendNotification(deps, { userId: 'u-1', message: 'paid' }, ctx);
    advance(59);
    expect((await sendNotification(deps, { userId: 'u-1', message: 'paid' }, ctx)).status).toBe(
      'SKIPPED',
    );
    advance(2);
    expect((await sendNotification(deps, { userId: 'u-1', message: 'paid' }, ctx)).status).toBe(
      'SENT',
    );
    expect(channel.sent).toHaveLength(2);
  });

  it('gives the claim back and answers 503 when the channel fails, so a retry sends', async () => {
    const { channel, deps, repository } = setup();
    channel.failNext = true;
    let status: number | undefined;
    try {
      await sendNotification(deps, { userId: 'u-1', message: 'paid', eventId: 'e-1' }, ctx);
    } catch (error) {
      status = isAppError(error) ? error.status : undefined;
    }
    expect(status).toBe(503);
    expect(repository.records[0]?.status).toBe('FAILED');
    const retry = await sendNotification(
      deps,
      { userId: 'u-1', message: 'paid', eventId: 'e-1' },
      ctx,
    );
    expect(retry.status).toBe('SENT');
    expect(channel.sent).toHaveLength(1);
  });
});

describe('Function: sendNotification, claim as a lease', () => {
  const input = { userId: 'u-1', message: 'paid', eventId: 'e-1' };

  it('answers 409 with Retry-After (never a 200) to a repeat while the original is SENDING', async () => {
    const { deps, repository } = setup();
    await orphanedClaim(repository, input, deps.now());
    const answer = await failure(sendNotification(deps, input, ctx));
    expect(answer).toMatchObject({ status: 409, code: 'NOTIFICATION_IN_PROGRESS' });
    // The rest of the lease, in whole seconds.
    expect(answer?.headers).toEqual({ 'Retry-After': '15' });
    expect(repository.records.filter((r) => r.status === 'SKIPPED')).toHaveLength(0);
  });

  it('takes over an expired lease and sends once, under the eventId as the channel key', async () => {
    const { deps, repository, channel, advance } = setup();
    const dead = await orphanedClaim(repository, input, deps.now());
    advance(16);
    const result = await sendNotification(deps, input, ctx);
    expect(result).toMatchObject({
      status: 'SENT',
      record: { notificationId: dead.notificationId },
    });
    expect(channel.sent.map((n) => n.idempotencyKey)).toEqual(['e-1']);
    expect(repository.records).toHaveLength(1);
    expect(repository.records[0]).toMatchObject({ status: 'SENT' });
    // Later repeats are ordinary duplicates of a SENT notification.
    const again = await sendNotification(deps, input, ctx);
    expect(again).toMatchObject({ status: 'SKIPPED', record: { reason: 'DUPLICATE_EVENT' } });
    expect(channel.sent).toHaveLength(1);
  });

  it('delivers once when the dead holder had reached the channel before it died', async () => {
    const { deps, repository, channel, advance } = setup();
    await orphanedClaim(repository, input, deps.now());
    channel.keys.add('e-1'); // the channel got it; the holder died before marking it SENT
    advance(16);
    expect((await sendNotification(deps, input, ctx)).status).toBe('SENT');
    expect(channel.sent).toHaveLength(0);
  });

  it('waits a moment for a send in progress and then skips, rather than answering 409', async () => {
    const { deps, repository } = setup();
    const holder = await orphanedClaim(repository, input, deps.now());
    let reads = 0;
    const get = repository.get.bind(repository);
    repository.get = async (key) => {
      reads += 1;
      if (reads === 2) {
        // The holder finishes meanwhile: its record is written SENT.
        const { leaseUntil: _lease, ...sent } = holder;
        await repository.put({ ...sent, status: 'SENT', sentAt: deps.now().toISOString() });
      }
      return get(key);
    };
    const result = await sendNotification(deps, input, ctx);
    expect(result).toMatchObject({
      status: 'SKIPPED',
      record: { originalNotificationId: 'n-dead' },
    });
  });
});

describe('Function: dedupeKey', () => {
  it('separates userId from message so that no two pairs collide by concatenation', () => {
    expect(dedupeKey('u-1', 'ab')).not.toBe(dedupeKey('u-1a', 'b'));
    expect(dedupeKey('u-1', 'ab')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('Function: decodeCursor', () => {
  it('round-trips a cursor made by encodeCursor', () => {
    const key = { pk: 'USER#u-1', sk: '2026-01-01T00:00:00.000Z#n-1' };
    expect(decodeCursor(encodeCursor(key))).toEqual(key);
  });

  it.each([
    ['not base64url', '%%%'],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['extra keys', Buffer.from(JSON.stringify({ pk: 'a', sk: 'b', x: 1 })).toString('base64url')],
    ['a non-string key', Buffer.from(JSON.stringify({ pk: 1, sk: 'b' })).toString('base64url')],
  ])('refuses a cursor that is %s with a 400 naming cursor', (_what, cursor) => {
    let error: unknown;
    try {
      decodeCursor(cursor);
    } catch (e) {
      error = e;
    }
    expect(isAppError(error) && error.status).toBe(400);
    expect(isAppError(error) && error.details[0]?.field).toBe('cursor');
  });

  it('lists through the repository and returns no cursor on the last page', async () => {
    const { repository } = setup();
    const page = await listNotifications(repository, { userId: 'u-1', limit: 10 });
    expect(page).toEqual({ items: [] });
  });
});
