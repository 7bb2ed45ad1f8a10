import type { HttpEvent } from './middleware/types.js';

/**
 * Who is calling an operator route: the IAM principal that signed the request
 * (AWS stages, where these routes are IAM-authorized), else `local:<source ip>`
 * (the local stack, open on 127.0.0.1). Logged with every operator action.
 */
export function operatorOf(event: HttpEvent): string {
  const iam = (event.requestContext.authorizer as { iam?: { userArn?: unknown } } | undefined)?.iam;
  if (iam && typeof iam.userArn === 'string' && iam.userArn) return iam.userArn;
  return `local:${event.requestContext.http?.sourceIp ?? 'unknown'}`;
}
