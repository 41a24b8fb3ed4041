// object_sandbox.mjs -- can an HTML object read the console's keys? Opens the console's
// origin, puts a value in the tab's sessionStorage (where the console keeps its keys), then
// loads the object URL given in the same tab: the object's own script tries to read that
// value and writes what happened into document.title. Run by tests/it/s3_console_test.py.
//
//   node object_sandbox.mjs CONSOLE_URL OBJECT_URL
//
// Prints one JSON line: {title, sandbox}: title "blocked: ..." when the read threw,
// "read: VALUE" when it succeeded, "" when the script never ran; sandbox the response's
// Content-Security-Policy header.
import { launch } from './launch.mjs';

const [consoleUrl, objectUrl] = process.argv.slice(2);
const browser = await launch();
try {
  const page = await browser.newPage();
  await page.goto(consoleUrl, { waitUntil: 'load' });
  await page.evaluate(() => sessionStorage.setItem('coffer-test-secret', 'the-secret'));
  const resp = await page.goto(objectUrl, { waitUntil: 'load' });
  await page.waitForFunction(() => document.title !== '', null, { timeout: 5000 }).catch(() => {});
  const title = await page.title();
  console.log(JSON.stringify({ title, sandbox: (await resp.allHeaders())['content-security-policy'] || null }));
} finally {
  await browser.close();
}
