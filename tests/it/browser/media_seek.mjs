// media_seek.mjs -- does a <video>/<audio> element on another origin play and seek an object?
// Run by tests/it/s3_media_test.py. For each case, in a fresh browser context: a page from a
// local http server on 127.0.0.1:PORT gets one element whose src is the case's URL
// (presigned, or unsigned in a public or private bucket); then
//   - expect "play":  loadedmetadata, play(), currentTime = at, 'seeked', and playback
//                     going on past `at` (timeupdate with currentTime > at, not paused);
//   - expect "error": the element's 'error' event (its MediaError code is reported).
// Every request the page made for the URL's path is reported with its Range header, status,
// Content-Range and x-amz-request-id (the Python side finds each in coffer's access log);
// `after` holds those made from the seek on.
//
//   node media_seek.mjs PORT '[{"name": "mp4", "tag": "video", "url": "...", "at": 30.5,
//                              "expect": "play"}, ...]'
//
// Prints one JSON line: [{name, duration, seek: {ms, currentTime}, advanced, net, after,
// events, errors} | {name, error, net, events, errors}, ...] in order. A step that times out
// is reported as {name, failed: "<message>", ...}; the Python side fails the case.
import { launch } from './launch.mjs';
import { openMedia, serveOrigin } from './media_page.mjs';

const STEP_MS = 15000;
const port = Number(process.argv[2]);
const cases = JSON.parse(process.argv[3]);
const origin = await serveOrigin(port);
const browser = await launch();
const out = [];
try {
  for (const c of cases) {
    const m = await openMedia(browser, origin.url, c.tag, c.url, { cache: c.cache !== false });
    const r = { name: c.name };
    try {
      const md = await m.loaded(STEP_MS);
      if (md.error !== undefined) {
        r.error = md.error;
        r.message = md.message;
      } else {
        r.duration = md.duration;
        await m.play();
        const before = m.net.length;
        r.seek = await m.seek(c.at, STEP_MS);
        r.advanced = await m.advancesPast(c.at, STEP_MS);
        r.after = m.net.slice(before);
      }
    } catch (e) {
      r.failed = e.message;
    }
    // responses are reported asynchronously: let the last ones' headers arrive
    await new Promise((ok) => setTimeout(ok, 200));
    r.net = m.net;
    r.events = await m.events();
    r.errors = m.errors;
    await m.close();
    out.push(r);
  }
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
  origin.close();
}
