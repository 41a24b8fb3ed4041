// show_images.mjs -- what a person sees of <img> tags pointing at objects: opens a page
// holding one <img> per URL given (no credentials: the browser fetches each as anyone
// would) and reports, per image, whether it loaded and its natural size. Run by
// tests/it/s3_access_test.py (a public-read object shows, a private one does not).
//
//   node show_images.mjs URL...
//
// Prints one JSON line: [{src, loaded, width, height}, ...] in the order given.
import { launch } from './launch.mjs';

const urls = process.argv.slice(2);
const browser = await launch();
try {
  const page = await browser.newPage();
  const imgs = urls.map((u, i) => `<img id="i${i}" src="${encodeURI(u)}">`).join('\n');
  await page.setContent(`<!DOCTYPE html><html><body>${imgs}</body></html>`, {
    waitUntil: 'load',
  });
  const out = await page.evaluate(() =>
    [...document.images].map((im) => ({
      src: im.getAttribute('src'),
      loaded: im.complete && im.naturalWidth > 0,
      width: im.naturalWidth,
      height: im.naturalHeight,
    })),
  );
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
}
