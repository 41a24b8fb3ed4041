// console_keyboard.mjs -- the console used with the keyboard alone: Tab reaches the sign-in
// fields in order and Enter submits; a bucket is created by typing its name and Enter; a
// bucket's Delete button is reached by Tab and pressed with Enter, which opens a dialog whose
// focus is inside it, and Escape closes it without deleting; the bucket's link opens by Enter.
// Run by tests/it/s3_console_test.py.
//
//   node console_keyboard.mjs CONSOLE_URL ACCESS SECRET BUCKET
//
// Prints one JSON line of what it saw; exits 77 (SKIP) without a browser.
import { launch } from './launch.mjs';

const [url, access, secret, bucket] = process.argv.slice(2);
const browser = await launch();
const seen = { errors: [] };
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('#access');
  const active = () => page.evaluate(() => document.activeElement && document.activeElement.id);
  // Tab from the top of the page until the access key field has the focus
  let tabs = 0;
  while ((await active()) !== 'access' && tabs < 20) {
    await page.keyboard.press('Tab');
    tabs++;
  }
  seen.tabs_to_access = tabs;
  await page.keyboard.type(access);
  await page.keyboard.press('Tab');
  seen.after_access = await active();
  await page.keyboard.type(secret);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#new-bucket', { timeout: 15000 });
  seen.signed_in = true;
  await page.focus('#new-bucket');
  await page.keyboard.type(bucket);
  await page.keyboard.press('Enter');
  const link = page.locator('a.bucket-link', { hasText: bucket });
  await link.waitFor({ timeout: 15000 });
  seen.created = true;
  // Tab forward from the bucket's link to its Delete button (Settings comes between)
  await link.focus();
  let steps = 0;
  while (steps < 6) {
    await page.keyboard.press('Tab');
    steps++;
    const label = await page.evaluate(() => document.activeElement && document.activeElement.textContent);
    if (label === 'Delete') break;
  }
  seen.tabs_to_delete = steps;
  await page.keyboard.press('Enter');
  await page.waitForSelector('dialog[open]', { timeout: 15000 });
  seen.dialog_open = true;
  seen.focus_in_dialog = await page.evaluate(() => !!document.activeElement.closest('dialog'));
  await page.keyboard.press('Escape');
  await page.waitForSelector('dialog[open]', { state: 'detached', timeout: 5000 });
  seen.dialog_closed = true;
  seen.still_listed = (await link.count()) === 1;
  // Enter on the focused link browses the bucket
  await link.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction((b) => location.hash.startsWith(`#/b/${b}/`), bucket, { timeout: 15000 });
  seen.browsed = true;
} catch (e) {
  seen.failure = String(e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(seen));
