// media_page.mjs -- one <video> or <audio> element in a page on another origin, driven from
// node: what tests/it/browser/media_seek.mjs (the playback test) and bench/media/seek.mjs
// (the seek benchmark) share. The page comes from a local http server on 127.0.0.1:PORT, so
// the media URL (coffer, nginx) is cross-origin, as on a real site; the element carries no
// crossorigin attribute, so no CORS rule is needed (as with a plain <video src>).
//
//   const origin = await serveOrigin(port);           // ... origin.close()
//   const m = await openMedia(browser, origin.url, 'video', url);
//   await m.loaded(10000);                 // {duration} | {error: MediaError code}
//   await m.play();  const s = await m.seek(30.5, 10000);   // {ms, currentTime}
//   await m.advancesPast(30.5, 10000);     // currentTime once playback passed it
//   m.net                                  // every request for the URL's path, in order:
//                                          // {t, method, range, status, requestId, ...}
//                                          // (requestId: x-amz-request-id or x-request-id)
//   m.errors                               // uncaught page errors and console errors
//   await m.close();
//
// Each openMedia gets a fresh browser context: no HTTP cache shared between runs, so a seek
// in one cannot be answered from the bytes another fetched.
import { createServer } from 'node:http';

export async function serveOrigin(port) {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<!DOCTYPE html><html><head><title>media</title></head><body></body></html>');
  });
  await new Promise((ok) => server.listen(port, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
}

// The element is muted: Chromium lets a muted element play() without a user gesture.
// preload=metadata: nothing beyond the metadata is fetched before play(), as on a page
// with many players.
function pageCreate([tag, url]) {
  const el = document.createElement(tag);
  el.muted = true;
  el.preload = 'metadata';
  el.controls = true;
  window.__media = el;
  window.__events = [];
  for (const ev of ['loadedmetadata', 'error', 'seeking', 'seeked', 'playing']) {
    el.addEventListener(ev, () => window.__events.push([ev, el.currentTime]));
  }
  el.src = url;
  document.body.appendChild(el);
}

function pageLoaded(timeoutMs) {
  const el = window.__media;
  return new Promise((ok, fail) => {
    const done = () => {
      clearTimeout(timer);
      if (el.error) ok({ error: el.error.code, message: el.error.message });
      else ok({ duration: el.duration, readyState: el.readyState });
    };
    const timer = setTimeout(() => fail(new Error(`no loadedmetadata or error in ${timeoutMs} ms`)),
                             timeoutMs);
    if (el.readyState >= 1 || el.error) return done();
    el.addEventListener('loadedmetadata', done, { once: true });
    el.addEventListener('error', done, { once: true });
  });
}

// From setting currentTime to the 'seeked' event, on the page's clock.
function pageSeek([target, timeoutMs]) {
  const el = window.__media;
  return new Promise((ok, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`no seeked in ${timeoutMs} ms (target ${target})`)), timeoutMs);
    let t0 = 0;
    el.addEventListener('seeked', () => {
      const ms = performance.now() - t0;
      clearTimeout(timer);
      ok({ ms, currentTime: el.currentTime });
    }, { once: true });
    t0 = performance.now();
    el.currentTime = target;
  });
}

function pageAdvancesPast([t, timeoutMs]) {
  const el = window.__media;
  return new Promise((ok, fail) => {
    const check = () => {
      if (el.currentTime > t && !el.paused) {
        clearTimeout(timer);
        el.removeEventListener('timeupdate', check);
        ok(el.currentTime);
      }
    };
    const timer = setTimeout(() => {
      el.removeEventListener('timeupdate', check);
      fail(new Error(`currentTime stayed at ${el.currentTime} <= ${t} for ${timeoutMs} ms ` +
                     `(paused ${el.paused}, readyState ${el.readyState})`));
    }, timeoutMs);
    el.addEventListener('timeupdate', check);
  });
}

export async function openMedia(browser, originUrl, tag, url, { cache = true } = {}) {
  const context = await browser.newContext();
  const page = await context.newPage();
  if (!cache) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  }
  const path = new URL(url).pathname;
  const net = [];
  const errors = [];
  const t0 = Date.now();
  const mine = (req) => new URL(req.url()).pathname === path;
  page.on('request', (req) => {
    if (!mine(req)) return;
    req.__entry = { t: Date.now() - t0, method: req.method(), range: req.headers().range || null };
    net.push(req.__entry);
  });
  page.on('response', async (resp) => {
    const e = resp.request().__entry;
    if (!e) return;
    const h = await resp.allHeaders();
    // coffer's x-amz-request-id, or nginx's $request_id as bench/media/run.sh sends it
    const requestId = h['x-amz-request-id'] || h['x-request-id'] || null;
    Object.assign(e, { status: resp.status(), requestId,
                       contentRange: h['content-range'] || null,
                       contentType: h['content-type'] || null });
  });
  page.on('requestfailed', (req) => {
    if (req.__entry) req.__entry.failure = req.failure()?.errorText || 'failed';
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
  });
  await page.goto(originUrl);
  await page.evaluate(pageCreate, [tag, url]);
  return {
    page,
    net,
    errors,
    loaded: (timeoutMs) => page.evaluate(pageLoaded, timeoutMs),
    play: () => page.evaluate(() => window.__media.play().then(() => window.__media.currentTime)),
    pause: () => page.evaluate(() => window.__media.pause()),
    seek: (target, timeoutMs) => page.evaluate(pageSeek, [target, timeoutMs]),
    advancesPast: (t, timeoutMs) => page.evaluate(pageAdvancesPast, [t, timeoutMs]),
    events: () => page.evaluate(() => window.__events),
    close: () => context.close(),
  };
}
