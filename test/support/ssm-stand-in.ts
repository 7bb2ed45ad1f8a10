import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for SSM Parameter Store at the wire level: the AWS SDK v3 sends
 * `AmazonSSM.GetParameter` (JSON 1.1) to it when AWS_ENDPOINT_URL_SSM points
 * here. A test sets and removes parameters, and throttles, mid-run.
 */
export interface SsmStandIn {
  /** The endpoint to put in AWS_ENDPOINT_URL_SSM. */
  url: string;
  /** Parameters by name; change them at any time. */
  parameters: Map<string, string>;
  /** While true, every call is answered `ThrottlingException` (HTTP 400, as SSM does). */
  throttle: boolean;
  /** The names asked for, in order (with WithDecryption). */
  reads: Array<{ name: string; decrypt: boolean }>;
  close(): Promise<void>;
}

/** Starts the stand-in on a free loopback port. */
export async function startSsmStandIn(): Promise<SsmStandIn> {
  const standIn = {
    parameters: new Map<string, string>(),
    throttle: false,
    reads: [] as Array<{ name: string; decrypt: boolean }>,
  };
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const answer = (status: number, payload: unknown) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify(payload));
      };
      const target = String(request.headers['x-amz-target'] ?? '');
      if (target !== 'AmazonSSM.GetParameter') {
        return answer(400, { __type: 'InvalidAction', message: `not served: ${target}` });
      }
      const { Name, WithDecryption } = JSON.parse(body || '{}') as {
        Name: string;
        WithDecryption?: boolean;
      };
      standIn.reads.push({ name: Name, decrypt: WithDecryption === true });
      if (standIn.throttle) {
        return answer(400, { __type: 'ThrottlingException', message: 'Rate exceeded' });
      }
      const value = standIn.parameters.get(Name);
      if (value === undefined) return answer(400, { __type: 'ParameterNotFound', message: '' });
      return answer(200, { Parameter: { Name, Type: 'SecureString', Value: value, Version: 1 } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(standIn, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
