// transfers.js -- the uploads panel: a progress bar per file and one for the whole batch,
// a cancel button per file, files sent two at a time (each multipart file already sends
// four parts at once: upload.js); and the files of a drag-and-drop, folders walked
// through DataTransferItem.webkitGetAsEntry so a dropped folder keeps its relative paths.
import { Upload } from './upload.js';
import { clear, errText, fmtBytes, h, say } from './ui.js';

const PARALLEL_FILES = 2;

// filesFromDrop -- [{file, path}] of everything dropped, folders walked recursively
export async function filesFromDrop(dt) {
  const out = [];
  const entries = Array.from(dt.items || [], (it) => (it.webkitGetAsEntry ? it.webkitGetAsEntry() : null));
  if (!entries.some(Boolean)) return Array.from(dt.files || [], (f) => ({ file: f, path: f.name }));
  const walk = async (entry, dir) => {
    if (!entry) return;
    if (entry.isFile) {
      const file = await new Promise((ok, fail) => entry.file(ok, fail));
      out.push({ file, path: dir + entry.name });
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) { // readEntries answers in batches until an empty one
        const batch = await new Promise((ok, fail) => reader.readEntries(ok, fail));
        if (!batch.length) break;
        for (const e of batch) await walk(e, dir + entry.name + '/');
      }
    }
  };
  for (const e of entries) await walk(e, '');
  return out;
}

function panel() {
  let p = document.getElementById('uploads');
  if (p) return p;
  p = h('section', { id: 'uploads', class: 'uploads', 'aria-label': 'Uploads' });
  document.body.append(p);
  return p;
}

// startUploads -- uploads items [{file, key}] into bucket; onDone() after the last one ends
export function startUploads(app, bucket, items, onDone) {
  const p = panel();
  const overall = h('progress', { id: 'upload-overall', max: 100, value: 0, 'aria-label': 'All uploads' });
  const summary = h('span', { class: 'muted' });
  const rows = h('ul', { class: 'upload-list' });
  const close = h('button', { class: 'link', hidden: true, onclick: () => p.remove() }, 'Close');
  clear(p, h('div', { class: 'uploads-head' }, h('strong', {}, 'Uploads'), summary, close), overall, rows);

  const total = items.reduce((a, it) => a + it.file.size, 0) || 1;
  const uploads = [];
  const redraw = () => {
    const loaded = uploads.reduce((a, u) => a + u.loaded, 0);
    overall.value = Math.min(100, (loaded / total) * 100);
    const done = uploads.filter((u) => u.state === 'done').length;
    summary.textContent = `${done} of ${uploads.length} done · ${fmtBytes(loaded)} of ${fmtBytes(total)}`;
  };
  for (const it of items) {
    const bar = h('progress', { max: 100, value: 0, 'aria-label': `Upload of ${it.key}` });
    const state = h('span', { class: 'state' }, 'queued');
    const cancel = h('button', { class: 'link', onclick: () => u.cancel() }, 'Cancel');
    const u = new Upload(app.client, bucket, it.key, it.file, () => {
      bar.value = u.total ? (u.loaded / u.total) * 100 : (u.state === 'done' ? 100 : 0);
      state.textContent = u.state === 'failed' ? `failed — ${errText(u.error)}` : u.state;
      state.className = `state ${u.state}`;
      if (u.state !== 'uploading' && u.state !== 'queued') cancel.hidden = true;
      redraw();
    });
    uploads.push(u);
    rows.append(h('li', { 'data-key': it.key }, h('span', { class: 'upload-name', title: it.key }, it.key), bar, state, cancel));
  }
  redraw();
  let next = 0;
  const worker = async () => {
    while (next < uploads.length) {
      const u = uploads[next++];
      if (u.state === 'queued') await u.start();
    }
  };
  Promise.all(Array.from({ length: Math.min(PARALLEL_FILES, uploads.length) }, worker)).then(() => {
    close.hidden = false;
    const failed = uploads.filter((u) => u.state === 'failed');
    if (failed.length) say(`${failed.length} upload${failed.length === 1 ? '' : 's'} failed — ${errText(failed[0].error)}`, 'error');
    else say(`Uploaded ${uploads.filter((u) => u.state === 'done').length} file(s).`);
    onDone();
  });
}
