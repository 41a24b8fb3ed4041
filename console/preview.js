// preview.js -- an object's preview and details in one dialog. The details come from
// HEAD with x-amz-checksum-mode: ENABLED (size, ETag, type, date, x-amz-meta-*, checksums)
// and GetObjectTagging. Media the browser fetches itself get a presigned URL: images in
// <img>, video and audio in <video>/<audio controls> (each seek is a ranged GET, 206), PDF
// in an <iframe> with response-content-type forced to application/pdf (so an object can
// never be rendered as an HTML page of the console's origin). Text and JSON (pretty) are
// fetched, at most TEXT_MAX bytes, and shown as text, never as markup.
import { dialog, errText, fmtBytes, fmtDate, h } from './ui.js';

const TEXT_MAX = 1024 * 1024;
const TEXT_EXT = /\.(txt|md|log|csv|tsv|json|xml|ya?ml|ini|conf|toml|js|mjs|ts|css|html?|c|h|py|sh|go|rs|java|sql)$/i;

function kindOf(type, key) {
  if (/^image\//.test(type)) return 'image';
  if (/^video\//.test(type) || /\.(mp4|webm|ogv|mov|m4v)$/i.test(key)) return 'video';
  if (/^audio\//.test(type) || /\.(mp3|ogg|oga|wav|flac|m4a|opus)$/i.test(key)) return 'audio';
  if (type === 'application/pdf' || /\.pdf$/i.test(key)) return 'pdf';
  if (/json/.test(type) || /\.json$/i.test(key)) return 'json';
  if (/^text\//.test(type) || /xml|javascript|yaml/.test(type) || TEXT_EXT.test(key)) return 'text';
  if (/\.(png|jpe?g|gif|webp|svg|avif|bmp|ico)$/i.test(key)) return 'image';
  return '';
}

async function textPreview(app, bucket, key, kind) {
  const resp = await app.client.request('GET', {
    bucket, key, headers: { range: `bytes=0-${TEXT_MAX - 1}` }, okStatuses: [206],
  });
  let text = await resp.text();
  const m = /\/(\d+)$/.exec(resp.headers.get('content-range') || '');
  const cut = resp.status === 206 && m && Number(m[1]) > TEXT_MAX;
  if (kind === 'json' && !cut) {
    try { text = JSON.stringify(JSON.parse(text), null, 2); } catch { /* shown as it is */ }
  }
  return h('div', {}, h('pre', { class: 'text-preview', id: 'text-preview', tabindex: '0' }, text),
    cut ? h('p', { class: 'hint' }, `Showing the first ${fmtBytes(TEXT_MAX)}.`) : null);
}

async function mediaPreview(app, bucket, key, kind, type) {
  if (kind === 'image') return h('img', { class: 'media', id: 'image-preview', alt: key, src: await app.client.presign(bucket, key) });
  if (kind === 'video') return h('video', { class: 'media', id: 'video-preview', controls: true, preload: 'metadata', src: await app.client.presign(bucket, key) });
  if (kind === 'audio') return h('audio', { id: 'audio-preview', controls: true, preload: 'metadata', src: await app.client.presign(bucket, key) });
  const url = await app.client.presign(bucket, key, { 'response-content-type': 'application/pdf' });
  return h('iframe', { class: 'pdf', id: 'pdf-preview', title: `PDF ${key}`, src: url });
}

function details(headers, tags) {
  const rows = [
    ['Size', `${fmtBytes(Number(headers.get('content-length')))} (${headers.get('content-length')} bytes)`],
    ['ETag', headers.get('etag')],
    ['Content type', headers.get('content-type')],
    ['Last modified', fmtDate(headers.get('last-modified'))],
  ];
  for (const [k, v] of headers) {
    if (k.startsWith('x-amz-meta-')) rows.push([`Metadata ${k.slice(11)}`, v]);
    if (k.startsWith('x-amz-checksum-') && k !== 'x-amz-checksum-type') rows.push([`Checksum ${k.slice(15).toUpperCase()}`, v]);
  }
  for (const [k, v] of tags) rows.push([`Tag ${k}`, v]);
  return h('dl', { class: 'details', id: 'object-details' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v || '—')]));
}

// showPreview -- the dialog for obj ({key}); actions: more dialog buttons [{label, onclick}]
export async function showPreview(app, bucket, obj, actions = []) {
  const key = obj.key;
  const area = h('div', { class: 'preview-area' }, h('p', { class: 'loading' }, 'Loading…'));
  const info = h('div', {});
  dialog(key.split('/').pop(), [area, info], actions, { wide: true });
  let head;
  try {
    head = await app.client.head(bucket, key);
  } catch (e) {
    area.replaceChildren(h('p', { class: 'form-error' }, errText(e)));
    return;
  }
  const type = (head.headers.get('content-type') || '').split(';')[0].trim().toLowerCase();
  const tags = await app.client.getTags(bucket, key).catch(() => []);
  info.replaceChildren(details(head.headers, tags));
  const kind = kindOf(type, key);
  try {
    if (!kind) area.replaceChildren(h('p', { class: 'empty' }, `No preview for ${type || 'this type'}. Use Download.`));
    else if (kind === 'text' || kind === 'json') area.replaceChildren(await textPreview(app, bucket, key, kind));
    else area.replaceChildren(await mediaPreview(app, bucket, key, kind, type));
  } catch (e) {
    area.replaceChildren(h('p', { class: 'form-error' }, errText(e)));
  }
}
