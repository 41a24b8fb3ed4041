// objects.js -- one bucket's objects as folders (ListObjectsV2 with delimiter '/'):
// breadcrumbs, a prefix search, pages of 1,000 keys joined by "Load more" (continuation
// token), selection, and the actions on keys: download (a presigned GET answered as an
// attachment, so the browser streams it to disk), a presigned link with a chosen expiry,
// rename/move (CopyObject + DeleteObject; a folder key by key), delete (DeleteObjects),
// preview (preview.js) and uploads by picker or drag-and-drop (transfers.js).
import { clear, confirmDo, copyText, dialog, errText, fmtBytes, fmtDate, h, loading, say, sayError, ask } from './ui.js';
import { showPreview } from './preview.js';
import { filesFromDrop, startUploads } from './transfers.js';

const base = (key) => key.replace(/\/$/, '').split('/').pop();
const bucketHash = (bucket, prefix) =>
  `#/b/${encodeURIComponent(bucket)}/${prefix.split('/').map(encodeURIComponent).join('/')}`;

export async function showObjects(app, root, bucket, prefix) {
  const c = app.client;
  let token = '';
  let filter = '';
  const selected = new Set();
  const body = h('tbody', {});
  const more = h('button', { id: 'load-more', hidden: true, onclick: () => load(false) }, 'Load more');
  const list = h('div', { class: 'list drop', id: 'objects' });
  const count = h('span', { class: 'muted', id: 'count' });
  const delSel = h('button', { class: 'danger', id: 'delete-selected', disabled: true, onclick: deleteSelected }, 'Delete selected');
  const moveSel = h('button', { id: 'move-selected', disabled: true, onclick: moveSelected }, 'Move selected');
  const search = h('input', { type: 'search', id: 'search', placeholder: 'Search by prefix', 'aria-label': 'Search by prefix', spellcheck: 'false' });
  const files = h('input', { type: 'file', id: 'file-input', multiple: true, class: 'sr-only', onchange: () => pick(files) });
  const folder = h('input', { type: 'file', id: 'folder-input', multiple: true, webkitdirectory: true, class: 'sr-only', onchange: () => pick(folder) });
  let shown = 0;

  const crumbs = h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumbs' }, h('a', { href: '#/' }, 'Buckets'), ' / ',
    h('a', { href: bucketHash(bucket, '') }, bucket));
  let acc = '';
  for (const part of prefix.split('/').filter(Boolean)) {
    acc += part + '/';
    crumbs.append(' / ', h('a', { href: bucketHash(bucket, acc) }, part));
  }

  clear(root,
    h('div', { class: 'page-head' }, crumbs,
      h('a', { class: 'button', href: `#/s/${encodeURIComponent(bucket)}` }, 'Settings')),
    h('div', { class: 'toolbar' },
      h('form', { class: 'search', role: 'search', onsubmit: (ev) => { ev.preventDefault(); filter = search.value; load(true); } },
        search, h('button', { type: 'submit' }, 'Search')),
      h('span', { class: 'spacer' }),
      h('label', { class: 'button primary', for: 'file-input', tabindex: '0', onkeydown: keyClick(files) }, 'Upload files'), files,
      h('label', { class: 'button', for: 'folder-input', tabindex: '0', onkeydown: keyClick(folder) }, 'Upload folder'), folder,
      h('button', { onclick: newFolder }, 'New folder'),
      moveSel, delSel),
    list);

  list.addEventListener('dragover', (ev) => { ev.preventDefault(); list.classList.add('over'); });
  list.addEventListener('dragleave', () => list.classList.remove('over'));
  list.addEventListener('drop', async (ev) => {
    ev.preventDefault();
    list.classList.remove('over');
    const got = await filesFromDrop(ev.dataTransfer);
    upload(got);
  });

  function keyClick(input) {
    return (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); input.click(); } };
  }

  function pick(input) {
    const got = Array.from(input.files, (f) => ({ file: f, path: f.webkitRelativePath || f.name }));
    input.value = '';
    upload(got);
  }

  function upload(items) {
    if (!items.length) return;
    startUploads(app, bucket, items.map((it) => ({ file: it.file, key: prefix + it.path })), () => load(true));
  }

  function updateSelection() {
    delSel.disabled = moveSel.disabled = selected.size === 0;
    delSel.textContent = selected.size ? `Delete selected (${selected.size})` : 'Delete selected';
  }

  function row(key, obj) {
    const isFolder = !obj;
    const check = h('input', {
      type: 'checkbox', 'aria-label': `Select ${base(key)}`,
      onchange: () => { if (check.checked) selected.add(key); else selected.delete(key); updateSelection(); },
    });
    const name = isFolder
      ? h('a', { href: bucketHash(bucket, key), class: 'folder' }, base(key) + '/')
      : h('button', {
        class: 'link file',
        onclick: () => showPreview(app, bucket, obj, [
          { label: 'Download', onclick: () => { download(obj.key); return false; } },
          { label: 'Copy link…', onclick: () => { shareLink(obj.key); return false; } }]),
      }, base(key));
    return h('tr', { 'data-key': key },
      h('td', { class: 'check' }, check),
      h('td', { class: 'name' }, name),
      h('td', { class: 'num' }, isFolder ? '' : fmtBytes(obj.size)),
      h('td', { class: 'wide-only' }, isFolder ? '' : fmtDate(obj.mtime)),
      h('td', { class: 'actions' },
        isFolder ? null : h('button', { onclick: () => download(obj.key) }, 'Download'),
        isFolder ? null : h('button', { class: 'wide-only', onclick: () => shareLink(obj.key) }, 'Link'),
        h('button', { class: 'wide-only', onclick: () => rename(key) }, isFolder ? 'Move' : 'Rename'),
        h('button', { class: 'danger', onclick: () => deleteKeys([key]) }, 'Delete')));
  }

  async function load(reset) {
    if (reset) {
      token = '';
      shown = 0;
      selected.clear();
      updateSelection();
      clear(body);
      clear(list, loading('Loading objects…'));
    }
    more.disabled = true;
    let page;
    try {
      page = await c.listObjects(bucket, prefix + filter, token);
    } catch (e) {
      clear(list, h('p', { class: 'form-error', role: 'alert' }, errText(e)));
      return;
    }
    for (const f of page.folders) body.append(row(f, null));
    for (const o of page.objects) if (o.key !== prefix) body.append(row(o.key, o));
    shown += page.folders.length + page.objects.length;
    token = page.next;
    more.hidden = !token;
    more.disabled = false;
    count.textContent = `${shown} item${shown === 1 ? '' : 's'}${token ? ' so far' : ''}`;
    if (reset) {
      clear(list, body.children.length
        ? h('table', { class: 'table' },
          h('thead', {}, h('tr', {}, h('th', { class: 'check' }, h('span', { class: 'sr-only' }, 'Select')),
            h('th', {}, 'Name'), h('th', { class: 'num' }, 'Size'), h('th', { class: 'wide-only' }, 'Last modified'),
            h('th', {}, h('span', { class: 'sr-only' }, 'Actions')))), body)
        : h('p', { class: 'empty' }, filter ? `Nothing starts with “${prefix + filter}”.` : 'This folder is empty. Drop files here or use Upload.'),
      h('div', { class: 'list-foot' }, count, more),
      h('p', { class: 'hint' }, 'Drop files or folders here to upload them to this folder.'));
    }
  }

  async function download(key) {
    const name = base(key).replace(/["\\\r\n]/g, '_');
    const url = await c.presign(bucket, key, {
      'response-content-disposition': `attachment; filename="${name}"; filename*=UTF-8''${encodeURIComponent(base(key))}`,
    }, 3600);
    const a = h('a', { href: url, download: base(key), rel: 'noopener noreferrer' });
    document.body.append(a);
    a.click();
    a.remove();
  }

  function shareLink(key) {
    const expiry = h('select', { id: 'link-expiry', 'aria-label': 'Link expires after' },
      h('option', { value: '3600' }, '1 hour'), h('option', { value: '86400' }, '1 day'),
      h('option', { value: '604800' }, '7 days'));
    const out = h('input', { id: 'link-url', readonly: true, class: 'wide', 'aria-label': 'Link' });
    const make = async () => { out.value = await c.presign(bucket, key, {}, Number(expiry.value)); };
    expiry.addEventListener('change', make);
    make();
    dialog(`Link to ${base(key)}`, [
      h('label', {}, 'Expires after ', expiry), out,
      h('p', { class: 'hint' }, 'Anyone with the link can download the object until it expires.'),
    ], [{ label: 'Copy link', primary: true, onclick: async () => { await copyText(out.value, out); return false; } }]);
  }

  async function rename(key) {
    const isFolder = key.endsWith('/');
    const to = await ask(isFolder ? 'Move folder' : 'Rename or move', 'New full key', key, isFolder ? 'Move' : 'Rename');
    if (to === null || to === key || !to) return;
    if (isFolder && !to.endsWith('/')) return say('A folder’s new name must end with “/”.', 'error');
    try {
      const keys = isFolder ? await c.listAll(bucket, key) : [key];
      let n = 0;
      for (const k of keys) {
        await c.copyObject(bucket, isFolder ? to + k.slice(key.length) : to, bucket, k);
        n++;
        if (keys.length > 1) say(`Copied ${n} of ${keys.length}…`);
      }
      const failed = await c.deleteObjects(bucket, keys);
      if (failed.length) throw Object.assign(new Error(failed[0].message), failed[0]);
      say(`Moved ${keys.length} object${keys.length === 1 ? '' : 's'} to ${to}.`);
    } catch (e) {
      sayError(e, 'Move');
    }
    load(true);
  }

  async function deleteKeys(keys) {
    const folders = keys.filter((k) => k.endsWith('/'));
    const what = keys.length === 1 ? `“${base(keys[0])}${folders.length ? '/' : ''}”` : `${keys.length} items`;
    const warn = folders.length ? ' Folders are deleted with everything in them.' : '';
    if (!(await confirmDo('Delete', `Delete ${what}?${warn}`))) return;
    try {
      let all = keys.filter((k) => !k.endsWith('/'));
      for (const f of folders) all = all.concat(await c.listAll(bucket, f));
      const failed = await c.deleteObjects(bucket, all);
      if (failed.length) say(`${failed.length} not deleted — ${failed[0].code}: ${failed[0].message} (${failed[0].key})`, 'error');
      else say(`Deleted ${all.length} object${all.length === 1 ? '' : 's'}.`);
    } catch (e) {
      sayError(e, 'Delete');
    }
    load(true);
  }

  function deleteSelected() { deleteKeys(Array.from(selected)); }

  async function moveSelected() {
    const to = await ask('Move selected', 'Into folder (prefix)', prefix, 'Move');
    if (to === null) return;
    const dest = to && !to.endsWith('/') ? to + '/' : to;
    try {
      const pairs = [];
      for (const k of selected) {
        if (k.endsWith('/')) for (const x of await c.listAll(bucket, k)) pairs.push([x, dest + base(k) + '/' + x.slice(k.length)]);
        else pairs.push([k, dest + base(k)]);
      }
      const moving = pairs.filter(([a, b]) => a !== b);
      for (const [from, target] of moving) await c.copyObject(bucket, target, bucket, from);
      const failed = await c.deleteObjects(bucket, moving.map(([a]) => a));
      if (failed.length) throw Object.assign(new Error(failed[0].message), failed[0]);
      say(`Moved ${moving.length} object${moving.length === 1 ? '' : 's'} to ${dest || 'the bucket root'}.`);
    } catch (e) {
      sayError(e, 'Move');
    }
    load(true);
  }

  async function newFolder() {
    const name = await ask('New folder', 'Folder name', '', 'Create');
    if (!name) return;
    try {
      await c.request('PUT', { bucket, key: prefix + name.replace(/\/+$/, '') + '/', body: '' });
      location.hash = bucketHash(bucket, prefix + name.replace(/\/+$/, '') + '/');
    } catch (e) {
      sayError(e, 'New folder');
    }
  }

  await load(true);
}
