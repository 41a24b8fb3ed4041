// submit_form.mjs -- a person's upload through a real HTML form: opens PAGE_URL (a page
// with a <form method=post enctype=multipart/form-data> and a file input), chooses FILE
// in the file input, clicks the submit button and waits until the browser has followed
// the upload's redirect to a URL starting with DONE_PREFIX. Run by
// tests/it/s3_post_object_test.py:
//
//   node submit_form.mjs PAGE_URL FILE DONE_PREFIX [SCREENSHOT.png]
//
// Prints one JSON line: {url, text} (where the browser ended up, that page's text).
import { launch } from './launch.mjs';

const [pageUrl, file, donePrefix, screenshot] = process.argv.slice(2);
const browser = await launch();
try {
  const page = await browser.newPage();
  await page.goto(pageUrl);
  await page.setInputFiles('input[type=file]', file);
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(donePrefix), { timeout: 30000 }),
    page.click('input[type=submit]'),
  ]);
  if (screenshot) await page.screenshot({ path: screenshot });
  console.log(JSON.stringify({ url: page.url(), text: await page.textContent('body') }));
} finally {
  await browser.close();
}
