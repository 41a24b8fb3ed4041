// cors_fetch.mjs -- what a page on another origin may do with fetch(): serves a blank page
// from a local http server on 127.0.0.1:PORT (an origin other than coffer's), opens it in
// headless Chromium and runs each request from the page. Run by tests/it/s3_cors_test.py
// (a rule allows a GET and a preflighted PUT; without one the fetch fails).
//
//   node cors_fetch.mjs PORT '[{"method": "GET", "url": "..."}, {"method": "PUT", "url": "...", "body": "..."}]'
//
// Prints one JSON line: [{ok, status, body} | {error: "<name>: <message>"}, ...] in order.
import { createServer } from 'node:http';
import { launch } from './launch.mjs';

const port = Number(process.argv[2]);
const reqs = JSON.parse(process.argv[3]);
const server = createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/html' });
  res.end('<!DOCTYPE html><html><body>cors</body></html>');
});
await new Promise((ok) => server.listen(port, '127.0.0.1', ok));
const browser = await launch();
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${port}/`);
  const out = await page.evaluate(async (reqs) => {
    const res = [];
    for (const r of reqs) {
      try {
        const init = { method: r.method };
        if (r.body !== undefined) init.body = r.body;
        if (r.headers) init.headers = r.headers;
        const resp = await fetch(r.url, init);
        res.push({ ok: resp.ok, status: resp.status, body: await resp.text() });
      } catch (e) {
        res.push({ error: `${e.name}: ${e.message}` });
      }
    }
    return res;
  }, reqs);
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
  server.close();
}
