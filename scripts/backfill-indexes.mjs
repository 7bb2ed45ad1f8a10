#!/usr/bin/env node
// @ts-check
/**
 * `npm run backfill -- [--stage dev] [--dryRun] [--segments 4]`: moves the
 * items an earlier version wrote onto today's index keys (sharded keys, no
 * index entry for a delivered event): the second step of "Deploying the
 * index" in docs/console.md. The stage's table names come from its resolved
 * serverless.yml; DynamoDB is the stage's own in AWS (the usual credentials),
 * or DYNAMODB_ENDPOINT (a local stack). Safe beside live traffic and safe to
 * run twice: every write is conditioned on what it was decided from.
 */
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
    return 0;
  },
});
