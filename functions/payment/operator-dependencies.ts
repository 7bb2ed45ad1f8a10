import { dynamoFromEnv } from '../../lib/shared/dynamo.js';
import { createObservability } from '../../lib/shared/observability.js';

// The operator routes' collaborators: observability and DynamoDB only. Not
// ./dependencies.js, which composes the whole payment service (gateway,
// charges, internal client) that these functions never run, and whose
// bundled calls their roles would then have to be granted.

/** The payment service's logger, tracer and metrics. */
export const observability = createObservability('payment');

/** The DynamoDB clients (DYNAMODB_ENDPOINT locally). */
export const dynamo = dynamoFromEnv();
