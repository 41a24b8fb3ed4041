// bench/media/seek.mjs -- seek latency of a <video> in headless Chromium, per server; run by
// bench/media/run.sh. For each round and each server (the order turned every round, so neither
// always goes first): a fresh browser context (no HTTP cache carried over), a page on another
// origin with one <video> (tests/it/browser/media_page.mjs), loadedmetadata, then one seek to
// each position in turn, paused, timed on the page's clock from setting currentTime to
// 'seeked'. The requests the page made for the video between two 'seeked' events are kept with
// the seek: their Range and the server's id for them (x-amz-request-id from coffer,
// x-request-id from nginx), by which run.sh finds the bytes each server sent in its log.
//
//   node bench/media/seek.mjs PORT '{"servers": [{"name": "coffer", "url": "..."}, ...],
//                                    "positions": [12.3, ...], "rounds": 1}' true|false
//
// The last argument: the browser cache on (true) or off (false: DevTools' "disable cache",
// each request goes to the server). Prints one JSON line: {NAME: [[{at, ms, currentTime,
// requests: [{range, status, id}]}, ...] per round], ...}.
import { launch } from '../../tests/it/browser/launch.mjs';
import { openMedia, serveOrigin } from '../../tests/it/browser/media_page.mjs';

const STEP_MS = 30000;
const port = Number(process.argv[2]);
const cfg = JSON.parse(process.argv[3]);
const cache = process.argv[4] === 'true';
const origin = await serveOrigin(port);
const browser = await launch();
const out = Object.fromEntries(cfg.servers.map((s) => [s.name, []]));
try {
  for (let round = 0; round < cfg.rounds; round++) {
    const order = cfg.servers.map((_, i) => cfg.servers[(i + round) % cfg.servers.length]);
    for (const srv of order) {
      const m = await openMedia(browser, origin.url, 'video', srv.url, { cache });
      const md = await m.loaded(STEP_MS);
      if (md.error !== undefined) {
        throw new Error(`${srv.name}: media error ${md.error} ${md.message}`);
      }
      const seeks = [];
      for (const at of cfg.positions) {
        const before = m.net.length;
        const s = await m.seek(at, STEP_MS);
        seeks.push({ at, ms: s.ms, currentTime: s.currentTime, net: m.net.slice(before) });
      }
      await new Promise((ok) => setTimeout(ok, 300)); // the last responses' headers
      if (m.errors.length) throw new Error(`${srv.name}: ${m.errors.join('; ')}`);
      out[srv.name].push(seeks.map(({ net, ...s }) => ({
        ...s,
        requests: net.map((n) => ({
          range: n.range, status: n.status ?? null, id: n.requestId ?? null,
        })),
      })));
      await m.close();
    }
  }
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
  origin.close();
}
