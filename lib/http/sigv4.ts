import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

/** AWS credentials as Lambda puts them in a function's environment. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The function's own credentials (its role's), from the environment Lambda sets; empty strings when absent. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): AwsCredentials {
  return {
    accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
    sessionToken: env.AWS_SESSION_TOKEN,
  };
}

/** node:crypto as the AWS SDK signer's hash (its Checksum interface): no second SHA-256 in the bundle. */
type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: SourceData): string | Uint8Array =>
  typeof data === 'string'
    ? data
    : data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);

class NodeSha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret ? createHmac('sha256', bytes(secret)) : createHash('sha256');
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {}
}

/**
 * Signs `request` with AWS Signature Version 4 (header form), with the AWS
 * SDK's own signer (`@smithy/signature-v4`, already in every bundle through
 * the DynamoDB client), and returns its headers with `authorization` added.
 */
export async function signRequest(request: {
  url: URL;
  body: string;
  headers: Record<string, string>;
  service: string;
  region: string;
  credentials: AwsCredentials;
  date: Date;
}): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    credentials: request.credentials,
    region: request.region,
    service: request.service,
    sha256: NodeSha256,
    // As the SDK's SSM and Lambda clients sign: no x-amz-content-sha256 header.
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      ...(request.url.port && { port: Number(request.url.port) }),
      path: request.url.pathname || '/',
      headers: { ...request.headers, host: request.url.host },
      body: request.body,
    },
    { signingDate: request.date },
  );
  return signed.headers;
}
