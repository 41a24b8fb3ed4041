// sigv4.js -- AWS Signature Version 4 for the console's requests, in the page, with
// WebCrypto (SubtleCrypto HMAC-SHA256 and SHA-256): an Authorization header for fetch/XHR
// requests, or a presigned URL (query signature) for links the browser follows itself
// (downloads, <video>, <img>, <iframe>). Service "s3", region us-east-1 (coffer accepts any).
// The secret never leaves this module's callers' memory and sessionStorage (doc/console.md).

const enc = new TextEncoder();
export const REGION = 'us-east-1';
export const UNSIGNED = 'UNSIGNED-PAYLOAD';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

function hex(buf) {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function sha256Hex(data) {
  const bytes = typeof data === 'string' ? enc.encode(data) : data;
  return hex(await crypto.subtle.digest('SHA-256', bytes));
}

async function hmac(key, msg) {
  const k = await crypto.subtle.importKey('raw', typeof key === 'string' ? enc.encode(key) : key,
    { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return crypto.subtle.sign('HMAC', k, enc.encode(msg));
}

// uriEncode -- RFC 3986 percent-encoding as SigV4 wants it: every byte but A-Z a-z 0-9 - . _ ~
// (and '/' when slash is true, for paths).
export function uriEncode(s, slash = false) {
  let out = '';
  for (const b of enc.encode(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-._~]/.test(c) || (slash && c === '/')) out += c;
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

// path -- the path-style path of bucket and key, encoded ("/" for the service).
export function s3Path(bucket, key) {
  if (!bucket) return '/';
  return '/' + uriEncode(bucket) + (key !== undefined && key !== null ? '/' + uriEncode(key, true) : '');
}

function canonicalQuery(query) {
  return Object.entries(query)
    .map(([k, v]) => [uriEncode(k), uriEncode(v === null || v === undefined ? '' : String(v))])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`).join('&');
}

function amzDate(now) {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

async function signingKey(secret, day) {
  let k = await hmac('AWS4' + secret, day);
  k = await hmac(k, REGION);
  k = await hmac(k, 's3');
  return hmac(k, 'aws4_request');
}

async function signature(creds, stamp, canonical) {
  const day = stamp.slice(0, 8);
  const scope = `${day}/${REGION}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', stamp, scope, await sha256Hex(canonical)].join('\n');
  return { scope, sig: hex(await hmac(await signingKey(creds.secret, day), toSign)) };
}

// signHeaders -- the headers (lowercase names) to send with method path?query: the given
// ones plus x-amz-date, x-amz-content-sha256 (payloadHash) and Authorization.
export async function signHeaders(creds, method, path, query, headers, payloadHash) {
  const stamp = amzDate(new Date());
  const h = {};
  for (const [k, v] of Object.entries(headers || {})) h[k.toLowerCase()] = String(v).trim();
  h['x-amz-date'] = stamp;
  h['x-amz-content-sha256'] = payloadHash;
  const all = { ...h, host: location.host };
  const names = Object.keys(all).sort();
  const canonical = [method, path, canonicalQuery(query || {}),
    names.map((n) => `${n}:${all[n]}\n`).join(''), names.join(';'), payloadHash].join('\n');
  const { scope, sig } = await signature(creds, stamp, canonical);
  h.authorization = `AWS4-HMAC-SHA256 Credential=${creds.access}/${scope}, ` +
    `SignedHeaders=${names.join(';')}, Signature=${sig}`;
  return h;
}

// presign -- a URL (same origin) valid for expires seconds for a GET (or method) of path
// with the extra query parameters (response-content-disposition, ...).
export async function presign(creds, method, path, query, expires) {
  const stamp = amzDate(new Date());
  const q = {
    ...query,
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `${creds.access}/${stamp.slice(0, 8)}/${REGION}/s3/aws4_request`,
    'X-Amz-Date': stamp,
    'X-Amz-Expires': String(expires),
    'X-Amz-SignedHeaders': 'host',
  };
  const canonical = [method, path, canonicalQuery(q), `host:${location.host}\n`, 'host',
    UNSIGNED].join('\n');
  const { sig } = await signature(creds, stamp, canonical);
  return `${location.origin}${path}?${canonicalQuery(q)}&X-Amz-Signature=${sig}`;
}

export { canonicalQuery };
