// launch.mjs -- starts a headless browser for the integration tests: Debian's chromium
// (/usr/bin/chromium, or $CHROMIUM) driven by playwright-core, which never downloads a
// browser of its own. A check that cannot get one exits with SKIP_EXIT after printing
// "SKIP <why>", so the Python side reports it as skipped, never as passed.
//
//   import { launch } from './launch.mjs';
//   const browser = await launch();   // ... await browser.close();
import { existsSync } from 'node:fs';

export const SKIP_EXIT = 77;
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export function skip(why) {
  console.log(`SKIP ${why}`);
  process.exit(SKIP_EXIT);
}

export async function launch() {
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    skip(`playwright-core is not installed (${e.code || e.message}): npm install in tests/it/browser`);
  }
  if (!existsSync(CHROMIUM)) skip(`no browser at ${CHROMIUM} (apt-get install chromium)`);
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
}
