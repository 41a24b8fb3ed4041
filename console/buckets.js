// buckets.js -- the bucket list: ListBuckets (a non-admin sees only their own buckets),
// CreateBucket, DeleteBucket (a bucket that still holds objects is refused by the server
// with BucketNotEmpty, which is shown as such), links to browse and to settings.
import { clear, confirmDo, errText, fmtDate, h, loading, say, sayError } from './ui.js';

export async function showBuckets(app, root) {
  const list = h('div', { class: 'list' }, loading('Loading buckets…'));
  const name = h('input', {
    id: 'new-bucket', placeholder: 'new-bucket-name', 'aria-label': 'New bucket name',
    pattern: '[a-z0-9][a-z0-9.\\-]{1,61}[a-z0-9]', required: true, spellcheck: 'false',
  });
  const create = h('form', {
    class: 'toolbar',
    onsubmit: async (ev) => {
      ev.preventDefault();
      try {
        await app.client.createBucket(name.value.trim());
        say(`Bucket ${name.value.trim()} created.`);
        name.value = '';
        await refresh();
      } catch (e) {
        sayError(e, 'Create bucket');
      }
    },
  }, name, h('button', { type: 'submit', class: 'primary', id: 'create-bucket' }, 'Create bucket'));
  clear(root, h('div', { class: 'page-head' }, h('h1', {}, 'Buckets'), create), list);

  async function remove(b) {
    if (!(await confirmDo('Delete bucket', `Delete the bucket “${b}”? Only an empty bucket can be deleted.`))) return;
    try {
      await app.client.deleteBucket(b);
      say(`Bucket ${b} deleted.`);
      await refresh();
    } catch (e) {
      if (e.code === 'BucketNotEmpty') {
        say(`BucketNotEmpty: “${b}” still holds objects — delete them first (${e.detail}).`, 'error');
      } else {
        sayError(e, 'Delete bucket');
      }
    }
  }

  async function refresh() {
    let buckets;
    try {
      buckets = await app.client.listBuckets();
    } catch (e) {
      clear(list, h('p', { class: 'form-error', role: 'alert' }, errText(e)));
      return;
    }
    if (!buckets.length) {
      clear(list, h('p', { class: 'empty' }, 'No buckets yet. Create one above.'));
      return;
    }
    clear(list, h('table', { class: 'table', id: 'buckets' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', { class: 'wide-only' }, 'Created'), h('th', {}, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', {}, buckets.map((b) => h('tr', { 'data-bucket': b.name },
        h('td', {}, h('a', { href: `#/b/${encodeURIComponent(b.name)}/`, class: 'bucket-link' }, b.name)),
        h('td', { class: 'wide-only' }, fmtDate(b.created)),
        h('td', { class: 'actions' },
          h('a', { href: `#/s/${encodeURIComponent(b.name)}`, class: 'button' }, 'Settings'),
          h('button', { class: 'danger', onclick: () => remove(b.name) }, 'Delete')))))));
  }
  await refresh();
}
