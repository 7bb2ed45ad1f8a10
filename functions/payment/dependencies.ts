import { serviceTokenProvider } from '../../lib/auth/service-tokens.js';
import {
  composePaymentService,
  invokeRoutesFromEnv,
  paymentInternalClient,
} from '../../lib/payment/compose.js';
import { DynamoGatewayLedger } from '../../lib/payment/simulator/dynamo-gateway-ledger.js';
import { SimulatedGateway } from '../../lib/payment/simulator/gateway.js';
import { envInt, isTestStage, requireEnv } from '../../lib/shared/config.js';
import { dynamoFromEnv } from '../../lib/shared/dynamo.js';
import type { InternalClient } from '../../lib/shared/internal-client.js';
import { createObservability } from '../../lib/shared/observability.js';

// Configuration is read once, here, per container; each payment function
// bundles its own copy of this module.

/** The payment service's logger, tracer and metrics. */
export const observability = createObservability('payment');

/** The DynamoDB clients (DYNAMODB_ENDPOINT locally). */
export const dynamo = dynamoFromEnv();

// The simulator's ledger: its own table in every stage (GatewayLedgerTable),
// so it outlives the function that called it and every container asks the
// same one; this container's memory only where no table is configured (tests).
const ledgerTable = process.env.GATEWAY_LEDGER_TABLE;

/** The simulated payment gateway (a real gateway's adapter in production). */
export const gateway = new SimulatedGateway({
  ledger: ledgerTable ? new DynamoGatewayLedger(dynamo.doc, ledgerTable) : undefined,
});

/** The payment use cases and their stores on DynamoDB, with the simulated gateway. */
export const payments = composePaymentService({
  doc: dynamo.doc,
  paymentsTable: requireEnv('PAYMENTS_TABLE'),
  chargesTable: requireEnv('CHARGES_TABLE'),
  gateway,
  logger: observability.logger,
});

/** True only in the local and test stages: `x-fault-inject` is inert everywhere else. */
export const faultsEnabled =
  process.env.FAULT_INJECTION === 'true' && isTestStage(process.env.STAGE);

/**
 * The client for order and notification, built on first use and then kept:
 * its breakers are this container's view of each downstream. It invokes the
 * functions the environment names (ORDER_HOLD_FUNCTION...) directly; with
 * none named, it calls the API at SERVICE_BASE_URL.
 */
let client: InternalClient | undefined;
export function internalClient(): InternalClient {
  const invokeRoutes = invokeRoutesFromEnv(process.env);
  client ??= paymentInternalClient({
    invokeRoutes,
    serviceBaseUrl: invokeRoutes.length > 0 ? undefined : requireEnv('SERVICE_BASE_URL'),
    timeoutMs: envInt('DOWNSTREAM_TIMEOUT_MS', 3000),
    logger: observability.logger,
    metrics: observability.metrics,
    tokenProvider: serviceTokenProvider('payment'),
  });
  return client;
}
