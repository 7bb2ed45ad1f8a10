// @ts-check
/**
 * serverless.yml plus three bench-only functions, used only by `npm run bench`
 * (`sls offline start --config serverless.bench.mjs`). Keeping them in this
 * separate file keeps them out of every deployed stage: `sls deploy` and
 * `sls package` read serverless.yml, which never names them. The file is read
 * with the framework's own reader, so CloudFormation tags and variables mean
 * exactly what they mean in serverless.yml.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const readConfiguration = require('serverless/lib/configuration/read');
const root = path.dirname(fileURLToPath(import.meta.url));

const config = await readConfiguration(path.join(root, 'serverless.yml'));

/** @param {string} handler @param {string} routePath */
const benchFunction = (handler, routePath) => ({
  handler,
  events: [{ httpApi: { method: 'POST', path: routePath } }],
});

config.functions = {
  ...config.functions,
  benchChainFront: benchFunction('functions/bench/chain.front', '/__bench/chain'),
  benchChainSecond: benchFunction('functions/bench/chain.leaf', '/__bench/second'),
  benchChainThird: benchFunction('functions/bench/chain.leaf', '/__bench/third'),
};

export default config;
