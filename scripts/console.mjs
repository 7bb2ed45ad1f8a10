#!/usr/bin/env node
// @ts-check
/**
 * `npm run console -- --url https://<api-id>.execute-api.<region>.amazonaws.com [--port 3100]`:
 * the console of a deployed stage. Its routes are IAM-authorized, so this
 * starts a proxy on 127.0.0.1 that signs each request with your AWS
 * credentials (the SDK's default chain: AWS_PROFILE, SSO, environment...)
 * and prints the address to open. Locally (`npm start`) no login is needed:
 * open http://127.0.0.1:3000/console.
 */
import { parseArgs } from 'node:util';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { startSigningProxy } from './lib/ops/sigv4-proxy.mjs';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    port: { type: 'string', default: '3100' },
    region: { type: 'string' },
  },
});
if (!values.url) {
  console.error(
    'usage: npm run console -- --url https://<api-id>.execute-api.<region>.amazonaws.com [--port 3100]',
  );
  process.exit(2);
}
const region =
  values.region ?? new URL(values.url).hostname.split('.')[2] ?? process.env.AWS_REGION;
if (!region) {
  console.error('Cannot tell the region from the URL: pass --region');
  process.exit(2);
}
const credentials = fromNodeProviderChain();
await credentials(); // fail now, not on the first click, when no credentials are found
const proxy = await startSigningProxy({
  target: values.url,
  region,
  port: Number(values.port),
  credentials,
});
console.log(`Console of ${values.url} (signed as your AWS identity): ${proxy.url}/console`);
process.on('SIGINT', () => void proxy.close().then(() => process.exit(0)));
