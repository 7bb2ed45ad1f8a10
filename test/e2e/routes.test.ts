import { describe, expect, it } from 'vitest';
import { api, expectErrorFormat } from '../support/http.js';

// Every route of docs/design.md's contract exists on the one HTTP API and answers
// through our middleware: the contract's error format and x-correlation-id.
describe('HTTP API routes over serverless-offline', () => {
  it.each([
    ['POST', '/orders'],
    ['POST', '/payments'],
    ['POST', '/payments/callback'],
  ])('%s %s refuses a non-JSON body with 415 in the error format', async (method, path) => {
    const response = await api(method, path, {
      rawBody: 'hello',
      headers: { 'content-type': 'text/plain' },
    });
    expect(response.status).toBe(415);
    expect(expectErrorFormat(response.body).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(response.headers.get('x-correlation-id')).toBeTruthy();
  });

  it("returns a public caller's correlation id beside the one the request was logged under", async () => {
    const response = await api('POST', '/orders', {
      rawBody: 'x',
      headers: { 'content-type': 'text/plain', 'x-correlation-id': 'e2e-corr-0001' },
    });
    expect(response.headers.get('x-client-correlation-id')).toBe('e2e-corr-0001');
    expect(response.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    ['PUT', '/orders/o-1/status'],
    ['PUT', '/orders/o-1/payment'],
    ['POST', '/orders/o-1/payment/release'],
    ['POST', '/notifications'],
  ])('%s %s without a token is refused with 401', async (method, path) => {
    const response = await api(method, path, { body: {} });
    expect(response.status).toBe(401);
  });

  it.each([
    ['GET', '/orders/o-1'],
    ['GET', '/orders/o-1/history'],
    ['GET', '/payments/t-1'],
    ['GET', '/notifications?userId=u-1'],
  ])('%s %s is routed to a function', async (method, path) => {
    const response = await api(method, path);
    expect(response.headers.get('x-correlation-id')).toBeTruthy();
    expect(response.status).not.toBe(500);
  });
});
