import { rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { startOffline } from '../../scripts/lib/stack/offline.mjs';
import { freePort } from '../../scripts/lib/stack/process.mjs';
import { paymentBody } from '../integration/payment-fixtures.js';
import { api } from '../support/http.js';

const root = path.resolve(import.meta.dirname, '../..');

describe('A cold burst on a freshly started serverless-offline', () => {
  it('answers 20 payments and a duplicate of each, sent at once with no warm-up, with 201 or 409 and Retry-After', async () => {
    const bodies = Array.from({ length: 20 }, () => paymentBody({ amount: 12.5 }));
    // The orders exist first, made through the suite's stack (same tables): the
    // fresh stack below has not run a single function when the burst arrives.
    for (const body of bodies) {
      const order = await api('POST', '/orders', {
        body: {
          orderId: body.orderId,
          userId: body.userId,
          amount: body.amount,
          currency: body.currency,
        },
      });
      expect(order.status, order.text).toBe(201);
    }

    const workFolder = `.esbuild-cold-${process.pid}`;
    const offline = await startOffline({
      stage: 'test',
      httpPort: await freePort(),
      lambdaPort: await freePort(),
      dynamoEndpoint: inject('functionEnv').DYNAMODB_ENDPOINT!,
      // Its own build folder: the suite's stack keeps serving from .esbuild.
      env: { ...inject('serviceKeys'), ESBUILD_WORK_FOLDER: workFolder },
    });
    try {
      const send = async (body: (typeof bodies)[number]) => {
        const started = Date.now();
        const response = await fetch(`${offline.baseUrl}/payments`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(60_000),
        });
        const text = await response.text();
        return {
          status: response.status,
          headers: response.headers,
          text,
          ms: Date.now() - started,
        };
      };
      const answers = await Promise.all(bodies.flatMap((body) => [send(body), send(body)]));

      const seen = answers.map((a) => `${a.status} ${a.ms} ms ${a.text.slice(0, 100)}`).join('\n');
      for (const answer of answers) {
        expect([201, 409], seen).toContain(answer.status);
        if (answer.status === 409) expect(answer.headers.get('retry-after'), seen).toBeTruthy();
        // No function timed out (that is a 503 now): how long the burst took
        // is a figure of `npm run bench`, not a test's verdict.
        expect(answer.text, seen).not.toMatch(/stackTrace|node_modules|\.m?[jt]s:\d+/);
      }
      // Each payment was processed once: one first answer per transactionId.
      for (const body of bodies) {
        const pair = answers.filter((a) => a.text.includes(body.transactionId));
        expect(pair.filter((a) => a.status === 201).length, seen).toBeGreaterThanOrEqual(1);
      }
    } finally {
      await offline.stop();
      rmSync(path.join(root, workFolder), { recursive: true, force: true });
    }
  }, 180_000);
});
