import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../lib/http/sigv4.js';
import { ssmParameterGetter } from '../../lib/http/ssm-parameters.js';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token-example',
};
const date = new Date('2026-11-30T12:34:56.000Z');

/** node:crypto as the AWS SDK signer's hash (its Checksum interface). */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | Uint8Array) {
    this.hash = secret ? createHmac('sha256', secret) : createHash('sha256');
  }
  update(data: string | Uint8Array) {
    this.hash.update(data);
  }
  async digest() {
    return new Uint8Array(this.hash.digest());
  }
  reset() {}
}

let server: Server;
let endpoint = '';
const received: { headers: IncomingHttpHeaders; body: string }[] = [];
let answer: { status: number; body: unknown } = { status: 200, body: {} };

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('Function: signRequest', () => {
  it('signs exactly as the AWS SDK signer does (Signature Version 4)', async () => {
    const url = new URL('https://ssm.eu-west-1.amazonaws.com/');
    const body = '{"Name":"/app/dev/auth/payment/signing-key","WithDecryption":true}';
    const headers = {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AmazonSSM.GetParameter',
    };
    const ours = await signRequest({
      url,
      body,
      headers,
      service: 'ssm',
      region: 'eu-west-1',
      credentials,
      date,
    });
    const sdk = await new SignatureV4({
      credentials,
      region: 'eu-west-1',
      service: 'ssm',
      sha256: NodeSha256 as never,
      // As the SDK's SSM client signs: no x-amz-content-sha256 header.
      applyChecksum: false,
    }).sign(
      {
        method: 'POST',
        protocol: 'https:',
        hostname: url.hostname,
        path: '/',
        headers: { ...headers, host: url.host },
        body,
      },
      { signingDate: date },
    );
    expect(ours.authorization).toBe(sdk.headers.authorization);
  });
});

describe('Function: ssmParameterGetter', () => {
  const getter = () =>
    ssmParameterGetter({ endpoint, region: 'eu-west-1', credentials, now: () => date });

  it('calls GetParameter, signed, and returns the value', async () => {
    answer = { status: 200, body: { Parameter: { Name: '/p', Value: 'secret-jwk' } } };
    received.length = 0;
    expect(await getter()('/p', { decrypt: true })).toBe('secret-jwk');
    expect(received).toHaveLength(1);
    expect(received[0]?.headers['x-amz-target']).toBe('AmazonSSM.GetParameter');
    expect(received[0]?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261130\/eu-west-1\/ssm\/aws4_request, /,
    );
    expect(JSON.parse(received[0]?.body ?? '')).toEqual({ Name: '/p', WithDecryption: true });
  });

  it('reads a parameter once within its max age, however many ask at once', async () => {
    answer = { status: 200, body: { Parameter: { Value: 'v' } } };
    received.length = 0;
    const read = getter();
    const values = await Promise.all(
      Array.from({ length: 5 }, () => read('/cached', { decrypt: false })),
    );
    expect(values).toEqual(['v', 'v', 'v', 'v', 'v']);
    expect(received).toHaveLength(1);
  });

  it('answers undefined for a parameter that does not exist, and throws on any other error', async () => {
    answer = { status: 400, body: { __type: 'com.amazonaws.ssm#ParameterNotFound' } };
    expect(await getter()('/missing', { decrypt: false })).toBeUndefined();
    answer = { status: 400, body: { __type: 'AccessDeniedException', message: 'no' } };
    await expect(getter()('/denied', { decrypt: false })).rejects.toThrow(/AccessDenied/);
  });
});
