// s3.js -- the console's S3 and admin API client: every call is a signed same-origin
// request (sigv4.js) to path-style URLs; S3 XML answers are read with DOMParser, admin
// answers (/_coffer/) are JSON. A failed call throws an S3Error carrying the server's code
// and message (never a bare status), which the UI shows as is.
import { EMPTY_SHA256, UNSIGNED, presign, s3Path, sha256Hex, signHeaders, canonicalQuery } from './sigv4.js';

export class S3Error extends Error {
  constructor(status, code, message) {
    super(`${code}: ${message}`);
    this.status = status;
    this.code = code;
    this.detail = message;
  }
}

function parseXml(text) {
  return new DOMParser().parseFromString(text, 'application/xml');
}

// the text of the first descendant of node named name ('' if none); namespace-blind
export function xtext(node, name) {
  const el = node.getElementsByTagName(name)[0];
  return el ? el.textContent : '';
}

async function errorOf(resp) {
  const text = await resp.text().catch(() => '');
  if (text.trim().startsWith('{')) {
    try {
      const e = JSON.parse(text).error || {};
      return new S3Error(resp.status, e.code || `HTTP${resp.status}`, e.message || resp.statusText);
    } catch { /* not JSON after all: below */ }
  }
  if (text.includes('<Error')) {
    const doc = parseXml(text);
    return new S3Error(resp.status, xtext(doc, 'Code') || `HTTP${resp.status}`,
      xtext(doc, 'Message') || resp.statusText);
  }
  return new S3Error(resp.status, `HTTP${resp.status}`, resp.statusText || 'request failed');
}

export class Client {
  constructor(creds) {
    this.creds = creds; // {access, secret}
  }

  // request -- one signed call; returns the Response (ok) or throws S3Error.
  // opts: {bucket, key, query, headers, body (string | Uint8Array), unsigned, method, path}
  async request(method, opts = {}) {
    const path = opts.path || s3Path(opts.bucket, opts.key);
    const query = opts.query || {};
    let hash = EMPTY_SHA256;
    if (opts.unsigned) hash = UNSIGNED;
    else if (opts.body !== undefined && opts.body !== null) hash = await sha256Hex(opts.body);
    const headers = await signHeaders(this.creds, method, path, query, opts.headers, hash);
    const qs = canonicalQuery(query);
    let resp;
    try {
      resp = await fetch(path + (qs ? '?' + qs : ''), {
        method, headers, body: opts.body, signal: opts.signal, cache: 'no-store',
      });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new S3Error(0, 'NetworkError', `the server could not be reached (${e.message})`);
    }
    if (!resp.ok && !(opts.okStatuses || []).includes(resp.status)) throw await errorOf(resp);
    return resp;
  }

  async xml(method, opts) {
    const resp = await this.request(method, opts);
    return parseXml(await resp.text());
  }

  presign(bucket, key, query = {}, expires = 3600) {
    return presign(this.creds, 'GET', s3Path(bucket, key), query, expires);
  }

  // ---- buckets ----
  async listBuckets() {
    const doc = await this.xml('GET', {});
    return Array.from(doc.getElementsByTagName('Bucket'), (b) => ({
      name: xtext(b, 'Name'), created: xtext(b, 'CreationDate'),
    }));
  }

  createBucket(bucket) { return this.request('PUT', { bucket }); }
  deleteBucket(bucket) { return this.request('DELETE', { bucket }); }

  // listObjects -- one page of ListObjectsV2: {folders:[prefix], objects:[{key,size,mtime,etag}],
  // next (continuation token or '')}
  async listObjects(bucket, prefix, token, delimiter = '/', maxKeys = 1000) {
    const query = { 'list-type': '2', prefix, 'max-keys': String(maxKeys) };
    if (delimiter) query.delimiter = delimiter;
    if (token) query['continuation-token'] = token;
    const doc = await this.xml('GET', { bucket, query });
    const folders = Array.from(doc.getElementsByTagName('CommonPrefixes'), (p) => xtext(p, 'Prefix'));
    const objects = Array.from(doc.getElementsByTagName('Contents'), (c) => ({
      key: xtext(c, 'Key'), size: Number(xtext(c, 'Size')), mtime: xtext(c, 'LastModified'),
      etag: xtext(c, 'ETag'),
    }));
    const truncated = xtext(doc, 'IsTruncated') === 'true';
    return { folders, objects, next: truncated ? xtext(doc, 'NextContinuationToken') : '' };
  }

  // listAll -- every key under prefix (no delimiter), for folder moves and deletes
  async listAll(bucket, prefix) {
    const keys = [];
    let token = '';
    do {
      const page = await this.listObjects(bucket, prefix, token, '');
      keys.push(...page.objects.map((o) => o.key));
      token = page.next;
    } while (token);
    return keys;
  }

  // ---- objects ----
  head(bucket, key) {
    return this.request('HEAD', { bucket, key, headers: { 'x-amz-checksum-mode': 'ENABLED' } });
  }

  async getTags(bucket, key) {
    const doc = await this.xml('GET', { bucket, key, query: { tagging: '' } });
    return Array.from(doc.getElementsByTagName('Tag'), (t) => [xtext(t, 'Key'), xtext(t, 'Value')]);
  }

  // deleteObjects -- DeleteObjects in batches of 1000; returns [{key, code, message}] failures
  async deleteObjects(bucket, keys) {
    const failed = [];
    for (let i = 0; i < keys.length; i += 1000) {
      const doc = document.implementation.createDocument(null, 'Delete', null);
      const quiet = doc.createElement('Quiet');
      quiet.textContent = 'true';
      doc.documentElement.appendChild(quiet);
      for (const k of keys.slice(i, i + 1000)) {
        const o = doc.createElement('Object');
        const kk = doc.createElement('Key');
        kk.textContent = k;
        o.appendChild(kk);
        doc.documentElement.appendChild(o);
      }
      const body = new XMLSerializer().serializeToString(doc);
      const res = await this.xml('POST', {
        bucket, query: { delete: '' }, body, headers: { 'content-type': 'application/xml' },
      });
      for (const e of res.getElementsByTagName('Error')) {
        failed.push({ key: xtext(e, 'Key'), code: xtext(e, 'Code'), message: xtext(e, 'Message') });
      }
    }
    return failed;
  }

  copyObject(bucket, key, srcBucket, srcKey) {
    const src = '/' + encodeURIComponent(srcBucket) + '/' +
      srcKey.split('/').map(encodeURIComponent).join('/');
    return this.request('PUT', { bucket, key, headers: { 'x-amz-copy-source': src } });
  }

  deleteObject(bucket, key) { return this.request('DELETE', { bucket, key }); }

  // ---- bucket settings ----
  async getPolicy(bucket) {
    try {
      const resp = await this.request('GET', { bucket, query: { policy: '' } });
      return JSON.parse(await resp.text());
    } catch (e) {
      if (e.code === 'NoSuchBucketPolicy') return null;
      throw e;
    }
  }

  putPolicy(bucket, policy) {
    return this.request('PUT', {
      bucket, query: { policy: '' }, body: JSON.stringify(policy),
      headers: { 'content-type': 'application/json' },
    });
  }

  deletePolicy(bucket) { return this.request('DELETE', { bucket, query: { policy: '' } }); }

  // getCors -- the rules as [{AllowedOrigins, AllowedMethods, AllowedHeaders, ExposeHeaders,
  // MaxAgeSeconds, ID}] ([] when none)
  async getCors(bucket) {
    let doc;
    try {
      doc = await this.xml('GET', { bucket, query: { cors: '' } });
    } catch (e) {
      if (e.code === 'NoSuchCORSConfiguration') return [];
      throw e;
    }
    const list = (r, n) => Array.from(r.getElementsByTagName(n), (x) => x.textContent);
    return Array.from(doc.getElementsByTagName('CORSRule'), (r) => {
      const rule = {
        AllowedOrigins: list(r, 'AllowedOrigin'), AllowedMethods: list(r, 'AllowedMethod'),
      };
      const ah = list(r, 'AllowedHeader');
      const eh = list(r, 'ExposeHeader');
      if (ah.length) rule.AllowedHeaders = ah;
      if (eh.length) rule.ExposeHeaders = eh;
      if (xtext(r, 'ID')) rule.ID = xtext(r, 'ID');
      if (xtext(r, 'MaxAgeSeconds')) rule.MaxAgeSeconds = Number(xtext(r, 'MaxAgeSeconds'));
      return rule;
    });
  }

  putCors(bucket, rules) {
    const doc = document.implementation.createDocument(null, 'CORSConfiguration', null);
    const add = (parent, name, text) => {
      const el = doc.createElement(name);
      el.textContent = String(text);
      parent.appendChild(el);
    };
    for (const r of rules) {
      const el = doc.createElement('CORSRule');
      if (r.ID) add(el, 'ID', r.ID);
      for (const o of r.AllowedOrigins || []) add(el, 'AllowedOrigin', o);
      for (const m of r.AllowedMethods || []) add(el, 'AllowedMethod', m);
      for (const h of r.AllowedHeaders || []) add(el, 'AllowedHeader', h);
      for (const h of r.ExposeHeaders || []) add(el, 'ExposeHeader', h);
      if (r.MaxAgeSeconds !== undefined) add(el, 'MaxAgeSeconds', r.MaxAgeSeconds);
      doc.documentElement.appendChild(el);
    }
    const body = new XMLSerializer().serializeToString(doc);
    return this.request('PUT', {
      bucket, query: { cors: '' }, body, headers: { 'content-type': 'application/xml' },
    });
  }

  deleteCors(bucket) { return this.request('DELETE', { bucket, query: { cors: '' } }); }

  // getCdc / putCdc -- the bucket's change log settings (doc/cdc.md): {enabled, window_seconds,
  // retention_seconds, view}
  async getCdc(bucket) {
    const resp = await this.request('GET', { bucket, query: { cdc: '' } });
    return resp.json();
  }

  async putCdc(bucket, settings) {
    const resp = await this.request('PUT', {
      bucket, query: { cdc: '' }, body: JSON.stringify(settings),
      headers: { 'content-type': 'application/json' },
    });
    return resp.json();
  }

  // ---- multipart (upload.js) ----
  async createUpload(bucket, key, contentType) {
    const doc = await this.xml('POST', {
      bucket, key, query: { uploads: '' }, headers: { 'content-type': contentType },
    });
    return xtext(doc, 'UploadId');
  }

  completeUpload(bucket, key, uploadId, etags) {
    const body = '<CompleteMultipartUpload>' + etags.map((e, i) =>
      `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</ETag></Part>`)
      .join('') + '</CompleteMultipartUpload>';
    return this.xml('POST', {
      bucket, key, query: { uploadId }, body, headers: { 'content-type': 'application/xml' },
    }).then((doc) => {
      // CompleteMultipartUpload may answer 200 with an <Error> body
      if (doc.documentElement && doc.documentElement.nodeName === 'Error') {
        throw new S3Error(200, xtext(doc, 'Code'), xtext(doc, 'Message'));
      }
      return doc;
    });
  }

  abortUpload(bucket, key, uploadId) {
    return this.request('DELETE', { bucket, key, query: { uploadId } });
  }

  // ---- admin API (/_coffer/, JSON) ----
  async admin(method, path, body) {
    const opts = { path: '/_coffer/' + path };
    if (body !== undefined) {
      opts.body = JSON.stringify(body);
      opts.headers = { 'content-type': 'application/json' };
    }
    const resp = await this.request(method, opts);
    if (resp.status === 204) return null;
    return resp.json();
  }
}
