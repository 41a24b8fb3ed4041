// upload.js -- one file's upload with progress: a single PUT below MULTIPART_THRESHOLD,
// else a multipart upload of PART_BYTES parts, PARALLEL_PARTS at a time, each part retried
// up to PART_TRIES times with a growing pause (a failed part never restarts the file).
// Cancel aborts the requests in flight and the multipart upload (AbortMultipartUpload).
// XMLHttpRequest is used for the bytes because it reports upload progress; the signature is
// made in the page (sigv4.js) with UNSIGNED-PAYLOAD, so the file is never read twice.
import { S3Error, xtext } from './s3.js';
import { UNSIGNED, canonicalQuery, s3Path, signHeaders } from './sigv4.js';

export const MULTIPART_THRESHOLD = 16 * 1024 * 1024;
export const PART_BYTES = 8 * 1024 * 1024;
export const PARALLEL_PARTS = 4;
export const PART_TRIES = 3;
const BACKOFF_MS = 500; // doubled after each failed try

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

export class Upload {
  // onChange(upload) is called whenever loaded or state changes
  constructor(client, bucket, key, file, onChange) {
    Object.assign(this, { client, bucket, key, file, onChange });
    this.total = file.size;
    this.loaded = 0;
    this.state = 'queued'; // queued -> uploading -> done | failed | cancelled
    this.error = null;
    this.xhrs = new Set();
    this.uploadId = null;
    this.retries = 0; // parts tried again after a failure
  }

  changed() {
    if (this.onChange) this.onChange(this);
  }

  // put -- one signed PUT of body via XHR; resolves to the response's ETag
  async put(query, body, onProgress) {
    const path = s3Path(this.bucket, this.key);
    const extra = query.uploadId ? {} : { 'content-type': this.file.type || 'application/octet-stream' };
    const headers = await signHeaders(this.client.creds, 'PUT', path, query, extra, UNSIGNED);
    if (this.state === 'cancelled') throw new S3Error(0, 'Cancelled', 'the upload was cancelled');
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      this.xhrs.add(xhr);
      const qs = canonicalQuery(query);
      xhr.open('PUT', path + (qs ? '?' + qs : ''));
      for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (e) => onProgress(e.loaded);
      xhr.onload = () => {
        this.xhrs.delete(xhr);
        if (xhr.status >= 200 && xhr.status < 300) {
          resolve(xhr.getResponseHeader('ETag') || '');
          return;
        }
        const doc = new DOMParser().parseFromString(xhr.responseText || '<x/>', 'application/xml');
        reject(new S3Error(xhr.status, xtext(doc, 'Code') || `HTTP${xhr.status}`,
          xtext(doc, 'Message') || xhr.statusText));
      };
      xhr.onerror = () => {
        this.xhrs.delete(xhr);
        reject(new S3Error(0, 'NetworkError', 'the connection failed during the upload'));
      };
      xhr.onabort = () => {
        this.xhrs.delete(xhr);
        reject(new S3Error(0, 'Cancelled', 'the upload was cancelled'));
      };
      xhr.send(body);
    });
  }

  async start() {
    this.state = 'uploading';
    this.changed();
    try {
      if (this.total < MULTIPART_THRESHOLD) {
        await this.put({}, this.file, (n) => { this.loaded = n; this.changed(); });
      } else {
        await this.multipart();
      }
      this.loaded = this.total;
      this.state = 'done';
    } catch (e) {
      if (this.state !== 'cancelled') {
        this.state = 'failed';
        this.error = e;
      }
    }
    this.changed();
    return this;
  }

  async multipart() {
    this.uploadId = await this.client.createUpload(this.bucket, this.key,
      this.file.type || 'application/octet-stream');
    const count = Math.ceil(this.total / PART_BYTES);
    const etags = new Array(count);
    const partLoaded = new Array(count).fill(0);
    let next = 0;
    const progress = () => {
      this.loaded = partLoaded.reduce((a, b) => a + b, 0);
      this.changed();
    };
    const worker = async () => {
      while (next < count && this.state === 'uploading') {
        const i = next++;
        const blob = this.file.slice(i * PART_BYTES, Math.min(this.total, (i + 1) * PART_BYTES));
        for (let attempt = 1; ; attempt++) {
          try {
            etags[i] = await this.put({ partNumber: String(i + 1), uploadId: this.uploadId }, blob,
              (n) => { partLoaded[i] = n; progress(); });
            partLoaded[i] = blob.size;
            progress();
            break;
          } catch (e) {
            partLoaded[i] = 0;
            progress();
            if (this.state === 'cancelled' || attempt >= PART_TRIES) throw e;
            this.retries++;
            await sleep(BACKOFF_MS * 2 ** (attempt - 1));
          }
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, count) }, worker));
      if (this.state !== 'uploading') throw new S3Error(0, 'Cancelled', 'the upload was cancelled');
      await this.client.completeUpload(this.bucket, this.key, this.uploadId, etags);
    } catch (e) {
      this.state = this.state === 'cancelled' ? 'cancelled' : 'failing';
      for (const x of this.xhrs) x.abort();
      await this.client.abortUpload(this.bucket, this.key, this.uploadId).catch(() => {});
      throw e;
    }
  }

  cancel() {
    if (this.state !== 'uploading' && this.state !== 'queued') return;
    this.state = 'cancelled';
    for (const x of this.xhrs) x.abort();
    this.changed();
  }
}
