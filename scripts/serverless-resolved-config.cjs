// A serverless plugin (listed in serverless.yml; loaded with require, hence CommonJS).
/**
 * Hands serverless.yml, as this framework process resolved it, to the process
 * that started it (`npm start`, scripts/lib/stack/stack.mjs), which creates the
 * local tables from it. Without it, `npm start` resolved the same file a
 * second time (`sls print`: another framework load, ~3 s of CPU on the cores
 * that serverless-offline bundles on).
 *
 * Inert unless started with an IPC channel and SLS_SEND_RESOLVED_CONFIG=1
 * (scripts/lib/stack/offline.mjs): `sls deploy`, `sls package` and a plain
 * `sls offline` do nothing different.
 */
class SendResolvedConfig {
  /** @param {any} serverless */
  constructor(serverless) {
    this.hooks = {
      initialize: () => {
        if (process.env.SLS_SEND_RESOLVED_CONFIG !== '1' || typeof process.send !== 'function') {
          return;
        }
        const config = serverless.configurationInput ?? {};
        // What the tables need, as `sls print` prints it (plain JSON).
        process.send({
          resolvedServerlessConfig: JSON.parse(
            JSON.stringify({
              service: config.service,
              provider: {
                stage: config.provider?.stage,
                environment: config.provider?.environment,
              },
              resources: config.resources,
            }),
          ),
        });
      },
    };
  }
}

module.exports = SendResolvedConfig;
