#!/usr/bin/env node
// @ts-check
/**
 * `npm run backfill -- [--stage dev] [--dryRun] [--segments 4]`: moves the
 * items an earlier version wrote onto today's shapes: the payment service's
 * index keys (sharded keys, no index entry for a delivered event: the second
 * step of "Deploying the index" in docs/console.md) and the order's history
 * written ahead on the order (docs/order-history.md, the migration). The stage's table names come from its resolved
 * serverless.yml; DynamoDB is the stage's own in AWS (the usual credentials),
 * or DYNAMODB_ENDPOINT (a local stack). Safe beside live traffic and safe to
 * run twice: every write is conditioned on what it was decided from.
 */
import { backfillOrders } from '../lib/order/order-backfill.ts';
import { backfillIndexes } from '../lib/payment/operator/index-backfill.ts';
import { dynamoFromEnv } from '../lib/shared/dynamo.ts';
import { runCli } from './lib/common/cli.mjs';
import { resolvedServerlessConfig } from './lib/stack/tables.mjs';

runCli({
  name: 'backfill',
  usage: 'npm run backfill -- [--stage dev] [--dryRun] [--segments 4]',
  spec: {
    stage: { type: 'string', default: 'local', env: 'STAGE', describe: 'whose tables' },
    dryRun: { type: 'boolean', default: false, describe: 'count what would change, write nothing' },
    segments: {
      type: 'integer',
      default: 4,
      min: 1,
      max: 64,
      describe: 'parallel scan segments per table',
    },
  },
  main: async (options) => {
    const environment = (await resolvedServerlessConfig(options.stage)).provider?.environment ?? {};
    const { doc } = dynamoFromEnv();
    const report = await backfillIndexes({
      doc,
      paymentsTable: environment.PAYMENTS_TABLE,
      chargesTable: environment.CHARGES_TABLE,
      segments: options.segments,
      dryRun: options.dryRun,
    });
    console.log(
      `${options.dryRun ? 'Would change' : 'Changed'}: ${report.payments} payments, ${report.events} PENDING or DEAD events, ${report.delivered} delivered events, ${report.charges} charges, of ${report.scanned} items scanned; ${report.moved} changed by a service meanwhile (left as they are).`,
    );
    const orders = await backfillOrders({
      doc,
      ordersTable: environment.ORDERS_TABLE,
      auditTable: environment.ORDER_AUDIT_TABLE,
      segments: options.segments,
      dryRun: options.dryRun,
    });
    console.log(
      `${options.dryRun ? 'Would move' : 'Moved'}: ${orders.orders} orders onto the history written ahead (${orders.holdRows} hold rows copied, ${orders.markers} marker items folded in), of ${orders.scanned} items scanned; ${orders.moved} written by the old code meanwhile (run again after the deploy).`,
    );
    return 0;
  },
});
