#!/usr/bin/env node
// @ts-check
/**
 * `npm run capacity -- [--stage prod] [--figures scripts/capacity-figures.json]`:
 * what AWS throttles first and what a million payments cost, from the stage's
 * resolved serverless.yml (`sls print`, no credentials needed) and the figures
 * one payment was measured to cost (scripts/lib/measure/capacity.mjs says how).
 * Exits 1 when the stage cannot carry its stated target.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runCli } from './lib/common/cli.mjs';
import { table } from './lib/common/report.mjs';
import { capacityModel, capacityReport, stageSettings } from './lib/measure/capacity.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

runCli({
  name: 'capacity',
  usage: 'npm run capacity -- [--stage prod] [--figures <file>]',
  spec: {
    stage: { type: 'string', default: 'prod', env: 'STAGE', describe: 'the stage to model' },
    figures: {
      type: 'string',
      default: 'scripts/capacity-figures.json',
      env: 'CAPACITY_FIGURES',
      describe: 'what one payment costs, as measured',
    },
  },
  main: async (options) => {
    const sls = path.join(root, 'node_modules', 'serverless', 'bin', 'serverless.js');
    const { stdout } = await promisify(execFile)(
      'timeout',
      ['300', process.execPath, sls, 'print', '--format', 'json', '--stage', options.stage],
      {
        cwd: root,
        maxBuffer: 32 * 1024 * 1024,
        env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' },
      },
    );
    const figures = JSON.parse(await readFile(path.resolve(root, options.figures), 'utf8'));
    const model = capacityModel(stageSettings(JSON.parse(stdout), options.stage), figures);
    console.log(capacityReport(model, table));
    return model.carriesTarget ? 0 : 1;
  },
});
