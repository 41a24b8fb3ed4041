// console_flow.mjs -- drives the built-in web console (/_console/) in headless Chromium
// through what a person does with it, and prints one JSON line of what it saw per step
// (statuses, texts, hashes, progress values) for tests/it/s3_console_test.py to assert.
// A step that throws records {error}; later steps still run where they can.
//
//   node console_flow.mjs '{"endpoint": "http://127.0.0.1:PORT", "access": "...",
//     "secret": "...", "big": "/path/50MiB", "retry": "/path/20MiB", "cancel": "/path/40MiB",
//     "folder": "/dir/album", "video": "/path.webm"|null, "shots": "/dir/for/screenshots"}'
// (the bucket console-many must hold 1,005 keys k-0000.. for the paging step, and
// console-meta the object notes.txt with metadata, tags and a SHA-256 checksum)
//
// Every page error and console error is reported (errors) but for the failed loads a step
// causes on purpose, allowed by status and URL during that step only: a wrong secret's 403,
// BucketNotEmpty's 409, a non-admin's 403 from /_coffer/users, the injected part failure,
// and the 404 of GetBucketPolicy / GetBucketCors on a bucket that has none.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { launch } from './launch.mjs';

const cfg = JSON.parse(process.argv[2]);
const E = cfg.endpoint;
const out = { errors: [] };
const BUCKET = 'console-one';
let allowed = []; // [{status, path, exact}] failed loads the running step causes on purpose

function watch(page, who) {
  page.on('pageerror', (e) => out.errors.push(`${who} pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = (m.location() && m.location().url) || '';
    const st = /status of (\d+)/.exec(m.text());
    const ok = allowed.some((x) => st && Number(st[1]) === x.status && url.startsWith(E + x.path) &&
      (!x.exact || url.length === (E + x.path).length));
    if (!ok) out.errors.push(`${who} console: ${m.text()} @ ${url}`);
  });
}

async function shot(page, name) {
  await page.screenshot({ path: `${cfg.shots}/${name}.png`, fullPage: true });
}

async function step(name, fn) {
  allowed = [];
  try {
    out[name] = await fn();
  } catch (e) {
    out[name] = { error: `${e.name}: ${e.message}`.slice(0, 2000) };
  }
}

async function signIn(page, access, secret) {
  await page.goto(`${E}/_console/`);
  await page.fill('#access', access);
  await page.fill('#secret', secret);
  await page.press('#secret', 'Enter');
}

// status -- the text of the next status message: act() runs with the status line cleared
async function status(page, act) {
  await page.evaluate(() => document.getElementById('status').replaceChildren());
  await act();
  await page.waitForSelector('#status:not(:empty)');
  const t = await page.textContent('#status');
  await page.evaluate(() => document.getElementById('status').replaceChildren());
  return t;
}

const browser = await launch();
try {
  const ctx = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  watch(page, 'admin');

  await step('signin', async () => {
    const r = {};
    allowed.push({ status: 403, path: '/', exact: true });
    await signIn(page, cfg.access, 'not-the-secret');
    await page.waitForFunction(() => /\w/.test(document.getElementById('signin-error').textContent.replace('Signing in…', '')));
    r.wrong = await page.textContent('#signin-error');
    r.stored_after_wrong = await page.evaluate(() => sessionStorage.length);
    await page.fill('#secret', cfg.secret);
    await page.click('#signin');
    await page.waitForSelector('#create-bucket');
    r.admin_nav = await page.isVisible('#nav-admin');
    r.local_storage = await page.evaluate(() => localStorage.length);
    r.cookies = (await ctx.cookies()).length;
    r.session_keys = await page.evaluate(() => Object.keys(sessionStorage));
    await shot(page, '01-signed-in');
    return r;
  });

  await step('create_bucket', async () => {
    await page.fill('#new-bucket', BUCKET);
    await page.press('#new-bucket', 'Enter');
    await page.waitForSelector(`tr[data-bucket="${BUCKET}"]`);
    await shot(page, '02-bucket-created');
    return { buckets: await page.$$eval('tr[data-bucket]', (rs) => rs.map((r) => r.dataset.bucket)) };
  });

  await step('upload', async () => {
    await page.click(`tr[data-bucket="${BUCKET}"] a.bucket-link`);
    await page.waitForSelector('#file-input', { state: 'attached' });
    await page.setInputFiles('#file-input', cfg.big);
    await page.waitForSelector('#upload-overall');
    // sample the overall bar in the page, every frame, until the file is listed
    await page.evaluate(() => {
      window.seen = [];
      const tick = () => {
        const p = document.getElementById('upload-overall');
        if (p) window.seen.push(p.value);
        if (!document.querySelector('tr[data-key="big.bin"]')) requestAnimationFrame(tick);
      };
      tick();
    });
    let mid = false;
    const t0 = Date.now();
    while (!(await page.$('tr[data-key="big.bin"]'))) {
      if (!mid && await page.evaluate(() => window.seen.some((v) => v > 0 && v < 100))) {
        mid = true;
        await shot(page, '03-upload-in-progress');
      }
      if (Date.now() - t0 > 120000) throw new Error('big.bin not listed after 120 s');
      await page.waitForTimeout(50);
    }
    await shot(page, '04-uploaded');
    const seen = await page.evaluate(() => window.seen);
    return {
      between: seen.filter((v) => v > 0 && v < 100).length, last: seen[seen.length - 1],
      row: await page.textContent('tr[data-key="big.bin"]'),
      state: await page.textContent('#uploads li[data-key="big.bin"] .state'),
    };
  });

  await step('download', async () => {
    const [dl] = await Promise.all([page.waitForEvent('download'),
      page.click('tr[data-key="big.bin"] button:has-text("Download")')]);
    const path = await dl.path();
    return { sha256: createHash('sha256').update(readFileSync(path)).digest('hex'), name: dl.suggestedFilename() };
  });

  await step('link', async () => {
    await page.click('tr[data-key="big.bin"] button:has-text("Link")');
    await page.waitForFunction(() => document.getElementById('link-url').value.startsWith('http'));
    const hour = await page.inputValue('#link-url');
    await page.selectOption('#link-expiry', '604800');
    await page.waitForFunction((h) => document.getElementById('link-url').value !== h, hour);
    const week = await page.inputValue('#link-url');
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog', { state: 'detached' });
    // followed outside the page, as whoever the link is given to would
    const resp = await fetch(week, { headers: { range: 'bytes=0-15' } });
    const body = Buffer.from(await resp.arrayBuffer());
    return { hour, week, status: resp.status, first16: body.toString('hex') };
  });

  await step('retry', async () => {
    const tries = [];
    await page.route(/partNumber=2&/, async (route) => {
      tries.push(route.request().url());
      if (tries.length === 1) await route.fulfill({ status: 500, contentType: 'application/xml',
        body: '<Error><Code>InternalError</Code><Message>injected by the test</Message></Error>' });
      else await route.continue();
    });
    allowed.push({ status: 500, path: `/${BUCKET}/retry.bin` });
    await page.setInputFiles('#file-input', cfg.retry);
    await page.waitForSelector('tr[data-key="retry.bin"]', { timeout: 120000 });
    await page.unroute(/partNumber=2&/);
    return { part2_tries: tries.length, state: await page.textContent('#uploads li[data-key="retry.bin"] .state') };
  });

  await step('cancel', async () => {
    // the parts are held (never answered) until the upload is cancelled, so the click always
    // lands mid-upload however fast the machine is
    const held = [];
    const parts = /\/cancel\.bin\?partNumber=/;
    await page.route(parts, (route) => { held.push(route); });
    await page.setInputFiles('#file-input', cfg.cancel);
    const row = '#uploads li[data-key="cancel.bin"]';
    for (const t0 = Date.now(); held.length < 4; await page.waitForTimeout(50)) {
      if (Date.now() - t0 > 60000) throw new Error(`${held.length} parts requested after 60 s`);
    }
    const during = await page.textContent(`${row} .state`);
    await page.click(`${row} button:has-text("Cancel")`);
    await page.waitForFunction((sel) => document.querySelector(`${sel} .state`).textContent === 'cancelled', row);
    // the abort is sent after the requests in flight end; the list reloads when the batch ends
    await page.waitForSelector('#uploads button:has-text("Close"):visible', { timeout: 60000 });
    for (const r of held) await r.abort().catch(() => {});
    await page.unroute(parts);
    const listed = await page.$('tr[data-key="cancel.bin"]');
    await page.click('#uploads button:has-text("Close")');
    return { during, parts_held: held.length, listed: listed !== null };
  });

  await step('folder', async () => {
    await page.setInputFiles('#folder-input', cfg.folder);
    await page.waitForSelector('tr[data-key="album/"]', { timeout: 60000 });
    await page.click('tr[data-key="album/"] a.folder');
    await page.waitForSelector('tr[data-key="album/sub/"]');
    const crumbs = await page.textContent('nav.crumbs');
    await page.click('tr[data-key="album/sub/"] a.folder');
    await page.click('tr[data-key="album/sub/b.json"] button.file');
    await page.waitForSelector('#text-preview');
    const json = await page.textContent('#text-preview');
    const details = await page.textContent('#object-details');
    await shot(page, '05-json-preview');
    await page.keyboard.press('Escape');
    await page.click('#uploads button:has-text("Close")');
    return { crumbs, json, details, url: page.url() };
  });

  await step('rename_delete', async () => {
    await page.goto(`${E}/_console/#/b/${BUCKET}/album/`);
    await page.click('tr[data-key="album/a.txt"] button:has-text("Rename")');
    await page.fill('dialog input', 'album/renamed.txt');
    await page.press('dialog input', 'Enter');
    await page.waitForSelector('tr[data-key="album/renamed.txt"]');
    const afterRename = await page.$$eval('tr[data-key]', (rs) => rs.map((r) => r.dataset.key));
    await page.check('tr[data-key="album/renamed.txt"] input[type=checkbox]');
    await page.check('tr[data-key="album/sub/"] input[type=checkbox]');
    await page.click('#delete-selected');
    await page.click('dialog button.danger');
    await page.waitForSelector('.empty');
    return { after_rename: afterRename, after_delete: await page.$$eval('tr[data-key]', (rs) => rs.map((r) => r.dataset.key)) };
  });

  await step('paging', async () => {
    await page.goto(`${E}/_console/#/b/console-many/`);
    await page.waitForSelector('#load-more:visible');
    const first = await page.$$eval('tr[data-key]', (rs) => rs.length);
    const firstCount = await page.textContent('#count');
    await page.click('#load-more');
    await page.waitForSelector('#load-more', { state: 'hidden' });
    const all = await page.$$eval('tr[data-key]', (rs) => rs.map((r) => r.dataset.key));
    const lastCount = await page.textContent('#count');
    await page.fill('#search', 'k-100');
    await page.press('#search', 'Enter');
    await page.waitForFunction(() => document.querySelectorAll('tr[data-key]').length > 0 &&
      document.querySelectorAll('tr[data-key]').length < 20);
    const found = await page.$$eval('tr[data-key]', (rs) => rs.map((r) => r.dataset.key));
    return { first, first_count: firstCount, all_count: all.length, distinct: new Set(all).size,
      last_count: lastCount, found, found_count: await page.textContent('#count') };
  });

  await step('drop', async () => {
    await page.goto(`${E}/_console/#/b/${BUCKET}/`);
    await page.waitForSelector('#objects table');
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['dropped one'], 'drop-1.txt', { type: 'text/plain' }));
      dt.items.add(new File(['dropped two'], 'drop-2.txt', { type: 'text/plain' }));
      const list = document.getElementById('objects');
      for (const type of ['dragover', 'drop']) list.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    await page.waitForSelector('tr[data-key="drop-1.txt"]');
    await page.waitForSelector('tr[data-key="drop-2.txt"]');
    await page.click('#uploads button:has-text("Close")');
    return { listed: await page.$$eval('tr[data-key^="drop-"]', (rs) => rs.map((r) => r.dataset.key)) };
  });

  await step('details', async () => {
    await page.goto(`${E}/_console/#/b/console-meta/`);
    await page.click('tr[data-key="notes.txt"] button.file');
    await page.waitForSelector('#object-details dt:text("Checksum SHA256")');
    await page.waitForSelector('#text-preview');
    const r = Object.fromEntries(await page.$$eval('#object-details dt', (ds) => ds.map((d) => [d.textContent, d.nextElementSibling.textContent])));
    r.text = await page.textContent('#text-preview');
    await page.keyboard.press('Escape');
    return r;
  });

  await step('not_empty', async () => {
    allowed.push({ status: 409, path: `/${BUCKET}`, exact: true });
    await page.goto(`${E}/_console/#/`);
    await page.click(`tr[data-bucket="${BUCKET}"] button:has-text("Delete")`);
    const t = await status(page, () => page.click('dialog button.danger'));
    await shot(page, '05-bucket-not-empty');
    return { status: t };
  });

  await step('video', async () => {
    if (!cfg.video) return { skipped: 'ffmpeg is not installed' };
    const seen = [];
    const onResp = (resp) => {
      if (resp.request().resourceType() === 'media') seen.push({ status: resp.status(), range: resp.request().headers().range || '' });
    };
    page.on('response', onResp);
    await page.goto(`${E}/_console/#/b/${BUCKET}/`);
    await page.setInputFiles('#file-input', cfg.video);
    await page.waitForSelector('tr[data-key="clip.webm"]', { timeout: 120000 });
    await page.click('tr[data-key="clip.webm"] button.file');
    await page.waitForSelector('#video-preview');
    const r = await page.evaluate(async () => {
      const v = document.getElementById('video-preview');
      v.muted = true;
      if (v.readyState < 1) await new Promise((ok, fail) => { v.onloadedmetadata = ok; v.onerror = () => fail(new Error(`video error ${v.error && v.error.code}`)); });
      const duration = v.duration;
      await v.play();
      await new Promise((ok) => setTimeout(ok, 300));
      v.currentTime = duration / 2;
      await new Promise((ok) => { v.onseeked = ok; });
      const at = v.currentTime;
      await new Promise((ok) => setTimeout(ok, 1000));
      return { duration, at, later: v.currentTime, paused: v.paused };
    });
    await shot(page, '06-video-preview');
    page.off('response', onResp);
    r.responses = seen;
    r.details = await page.textContent('#object-details');
    await page.keyboard.press('Escape');
    r.dialog_closed = await page.waitForSelector('dialog', { state: 'detached', timeout: 5000 })
      .then(() => true, () => false);
    await page.click('#uploads button:has-text("Close")');
    return r;
  });

  await step('mobile', async () => {
    await page.goto(`${E}/_console/#/b/${BUCKET}/`);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForSelector('tr[data-key="big.bin"]');
    await shot(page, '07-bucket-390x844');
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    await page.setViewportSize({ width: 1280, height: 800 });
    return { scroll_width: wide };
  });

  await step('public', async () => {
    const anon = async () => (await fetch(`${E}/${BUCKET}/big.bin`, { method: 'HEAD' })).status;
    const r = { before: await anon() };
    allowed.push({ status: 404, path: `/${BUCKET}?policy=`, exact: true }, { status: 404, path: `/${BUCKET}?cors=`, exact: true });
    await page.goto(`${E}/_console/#/s/${BUCKET}`);
    await page.check('#public-read');
    r.on_status = await status(page, () => page.click('#save-public'));
    r.after_on = await anon();
    r.policy = await page.textContent('#policy-view');
    await shot(page, '08-public');
    await page.uncheck('#public-read');
    r.off_status = await status(page, () => page.click('#save-public'));
    r.after_off = await anon();
    return r;
  });

  await step('cors', async () => {
    allowed.push({ status: 404, path: `/${BUCKET}?policy=`, exact: true }, { status: 404, path: `/${BUCKET}?cors=`, exact: true });
    await page.goto(`${E}/_console/#/b/${BUCKET}/`);
    await page.goto(`${E}/_console/#/s/${BUCKET}`);
    await page.fill('#cors-json', JSON.stringify([{ AllowedOrigins: ['https://app.example.com'], AllowedMethods: ['GET'] }]));
    return { status: await status(page, () => page.click('#save-cors')) };
  });

  await step('cdc', async () => {
    allowed.push({ status: 404, path: `/${BUCKET}?policy=`, exact: true }, { status: 404, path: `/${BUCKET}?cors=`, exact: true });
    await page.goto(`${E}/_console/#/s/${BUCKET}`);
    await page.waitForSelector('#cdc-enabled');
    const before = await page.isChecked('#cdc-enabled');
    await page.check('#cdc-enabled');
    await page.fill('#cdc-window', '30');
    const st = await status(page, () => page.click('#save-cdc'));
    await page.click('#browse-cdc');
    await page.waitForFunction(() => location.hash.startsWith('#/b/coffer-cdc/'));
    return { before, status: st, hash: await page.evaluate(() => location.hash) };
  });

  let user = null;
  await step('admin_user', async () => {
    await page.goto(`${E}/_console/#/admin`);
    await page.waitForSelector('#create-user');
    await page.fill('#user-name', 'Console User');
    await page.click('#create-user');
    await page.waitForSelector('#new-secret');
    user = { access: await page.textContent('#new-access'), secret: await page.inputValue('#new-secret') };
    await shot(page, '09-user-created');
    await page.keyboard.press('Escape');
    await page.waitForSelector(`tr[data-user="${user.access}"]`);
    await page.waitForFunction(() => document.querySelectorAll('#stats-figures dt').length > 0);
    await page.waitForTimeout(4500); // two polls: a rate is drawn
    await shot(page, '10-admin');
    return {
      access: user.access, secret: user.secret, secret_len: user.secret.length,
      users: await page.$$eval('tr[data-user]', (rs) => rs.map((r) => r.dataset.user)),
      figures: Object.fromEntries(await page.$$eval('#stats-figures dt', (ds) => ds.map((d) => [d.textContent, d.nextElementSibling.textContent]))),
      rate: await page.textContent('.legend'),
    };
  });

  await step('user_signin', async () => {
    if (!user) return { error: 'no user was created' };
    const ctx2 = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const p2 = await ctx2.newPage();
    watch(p2, 'user');
    allowed.push({ status: 403, path: '/_coffer/users', exact: true });
    await signIn(p2, user.access, user.secret);
    await p2.waitForSelector('#create-bucket');
    const r = { before: await p2.$$eval('tr[data-bucket]', (rs) => rs.map((x) => x.dataset.bucket)) };
    r.admin_nav = await p2.isVisible('#nav-admin');
    await p2.fill('#new-bucket', 'user-own');
    await p2.press('#new-bucket', 'Enter');
    await p2.waitForSelector('tr[data-bucket="user-own"]');
    r.after = await p2.$$eval('tr[data-bucket]', (rs) => rs.map((x) => x.dataset.bucket));
    await shot(p2, '11-user-buckets');
    await p2.click('#signout');
    await p2.waitForSelector('#access');
    r.after_signout = await p2.evaluate(() => sessionStorage.length);
    await ctx2.close();
    return r;
  });
  // the chart's arithmetic and drawing on counters the test controls: +10 requests and
  // +4096 bytes per poll (tests/it/s3_console_test.py also checks the real server's figures)
  await step('stats_chart', async () => {
    let polls = 0;
    await page.route('**/_coffer/stats', (route) => {
      polls++;
      route.fulfill({ status: 200, contentType: 'application/json',
        body: JSON.stringify({ requests_total: 10 * polls, bytes_in: 4096 * polls, bytes_out: 0,
          uptime_seconds: 60, connections_open: 1, rss_bytes: 1 << 20 }) });
    });
    await page.goto(`${E}/_console/#/`);
    await page.goto(`${E}/_console/#/admin`);
    await page.waitForFunction(() => /[1-9]/.test(document.querySelector('.legend').textContent), null, { timeout: 30000 });
    await page.waitForTimeout(2500);
    const r = await page.evaluate(() => {
      const c = document.getElementById('stats-chart');
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let inked = 0;
      for (let i = 3; i < px.length; i += 4) if (px[i]) inked++;
      return { inked, rate: document.querySelector('.legend').textContent };
    });
    r.requests = await page.textContent('#stats-figures dt:text("Requests") + dd');
    await page.unroute('**/_coffer/stats');
    r.polls = polls;
    return r;
  });

  await step('admin_actions', async () => {
    if (!user) return { error: 'no user was created' };
    const row = `tr[data-user="${user.access}"]`;
    const role = () => page.textContent(`${row} td:nth-child(3)`);
    const click = async (label, want) => {
      await page.click(`${row} button:has-text("${label}")`);
      await page.waitForFunction(([sel, w]) => document.querySelector(`${sel} td:nth-child(3)`).textContent === w, [row, want]);
      return role();
    };
    await page.goto(`${E}/_console/#/admin`);
    await page.waitForSelector(row);
    const r = { roles: [] };
    r.roles.push(await click('Disable', 'user, disabled'));
    r.roles.push(await click('Enable', 'user'));
    r.roles.push(await click('Make admin', 'admin'));
    r.roles.push(await click('Revoke admin', 'user'));
    await page.click(`${row} button:has-text("Rotate secret")`);
    await page.click('dialog button.danger');
    await page.waitForSelector('#new-secret');
    r.rotated = { access: await page.textContent('#new-access'), secret: await page.inputValue('#new-secret') };
    await page.keyboard.press('Escape');
    allowed.push({ status: 409, path: `/_coffer/users/${user.access}`, exact: true });
    await page.click(`${row} button:has-text("Delete")`);
    r.delete_status = await status(page, () => page.click('dialog button.danger'));
    r.still_listed = (await page.$(row)) !== null;
    return r;
  });

  await ctx.close();
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
