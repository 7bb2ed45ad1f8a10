import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

import { CHROME_ARGS, CHROME_PATH } from '../../scripts/lib/ops/chromium.mjs';

/**
 * Starts headless Chromium with a fresh profile (removed by `close`). Our
 * page's CSP forbids injected scripts; `bypassCSP` lets the test inject axe.
 */
export async function launchBrowser(): Promise<{
  context: BrowserContext;
  close: () => Promise<void>;
}> {
  const profile = mkdtempSync(path.join(tmpdir(), 'console-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROME_PATH,
    headless: true,
    args: CHROME_ARGS,
    bypassCSP: true,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** One axe-core finding. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** Runs axe-core (from node_modules, no CDN) on the page; its violations of the given impacts. */
export async function axeViolations(
  page: Page,
  impacts: string[] = ['serious', 'critical'],
): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.addScriptTag({ path: axePath });
  // Runs in the page (its globals, not Node's).
  const result = await page.evaluate(async () => {
    const axe = (globalThis as any).axe;
    const out = await axe.run((globalThis as any).document, { resultTypes: ['violations'] });
    return out.violations.map((v: AxeViolation) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
  });
  return (result as AxeViolation[]).filter((v) => v.impact && impacts.includes(v.impact));
}
