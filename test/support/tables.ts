/** The environment variables naming every table serverless.yml declares, as the functions see them. */
export const TABLE_ENV_VARS = [
  'ORDERS_TABLE',
  'ORDER_AUDIT_TABLE',
  'PAYMENTS_TABLE',
  'CHARGES_TABLE',
  'IDEMPOTENCY_TABLE',
  'NOTIFICATIONS_TABLE',
  // The gateway simulator's ledger (local and test stages).
  'GATEWAY_LEDGER_TABLE',
] as const;
