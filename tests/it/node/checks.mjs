// checks.mjs -- what the client suites (aws_sdk_v3.mjs, minio_js.mjs) share: the server they
// talk to (from the environment tests/it/jsclients.sh sets), one check runner that prints
// "PASS name" / "FAIL name: why" and, from the same place, the compatibility-matrix line
// "COMPAT<TAB>client<TAB>version<TAB>operation<TAB>PASS|FAIL|SKIP" (issue 14; the check's name
// is the operation), the final "RESULT: N passed, N failed[, N skipped]" line, and the byte and
// digest helpers the checks compare with.
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

// env -- endpoint, keys and scratch directory from tests/it/jsclients.sh.
export const env = {
  endpoint: process.env.COFFER_ENDPOINT, // http://127.0.0.1:PORT
  access: process.env.COFFER_ACCESS,
  secret: process.env.COFFER_SECRET,
  tmp: process.env.COFFER_JS_TMP, // a directory for the files the checks write
};

// packageVersion -- an npm package's version as its package.json states it; null if the
// package is not installed.
export function packageVersion(pkg) {
  try {
    return JSON.parse(readFileSync(join(HERE, 'node_modules', pkg, 'package.json'))).version;
  } catch {
    return null;
  }
}

// Suite -- runs checks in order for one client and counts them.
export class Suite {
  constructor(client, version) {
    this.client = client;
    this.version = version;
    this.passed = 0;
    this.failed = 0;
    this.skipped = 0;
  }

  compat(op, verdict) {
    console.log(['COMPAT', this.client, this.version, op, verdict].join('\t'));
  }

  // check -- runs fn; a throw (an assertion or the client's own error) is a FAIL with its text.
  // The PASS/FAIL line says how long it took (the suite's budget is ~90 s in all).
  async check(op, fn) {
    const start = process.hrtime.bigint();
    const took = () => `(${(Number(process.hrtime.bigint() - start) / 1e9).toFixed(1)} s)`;
    try {
      await fn();
      this.passed++;
      console.log(`PASS ${op} ${took()}`);
      this.compat(op, 'PASS');
    } catch (e) {
      this.failed++;
      const why = `${e?.name ?? 'Error'}: ${e?.message ?? e}`.replace(/\s+/g, ' ');
      console.log(`FAIL ${op}: ${why} ${took()}`);
      this.compat(op, 'FAIL');
    }
  }

  skip(op, why) {
    this.skipped++;
    console.log(`SKIP ${op}: ${why}`);
    this.compat(op, 'SKIP');
  }

  result() {
    const s = this.skipped ? `, ${this.skipped} skipped` : '';
    console.log(`RESULT: ${this.passed} passed, ${this.failed} failed${s}`);
    return this.failed ? 1 : 0;
  }
}

// expect -- throws "what: got X, want Y" unless got === want.
export function expect(what, got, want) {
  if (got !== want) throw new Error(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

// sameBytes -- throws unless two buffers hold the same bytes (says where they first differ).
export function sameBytes(what, got, want) {
  if (Buffer.compare(got, want) === 0) return;
  let i = 0;
  while (i < got.length && i < want.length && got[i] === want[i]) i++;
  throw new Error(`${what}: ${got.length} bytes, want ${want.length}; first difference at ${i}`);
}

// crc32 -- CRC-32 (IEEE, the zlib one) of buf as S3 sends it: base64 of the 4 big-endian
// bytes. Computed here, not by a client, so a check compares the client's value with another's.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
export function crc32(buf) {
  return crc32Bytes(buf).toString('base64');
}

// crc32Bytes -- the same CRC as its 4 big-endian bytes.
export function crc32Bytes(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((c ^ 0xffffffff) >>> 0);
  return out;
}

// compositeCrc32 -- S3's COMPOSITE checksum of an object uploaded in these parts: the CRC32
// of the parts' CRC32s (their bytes, concatenated), "-", the part count.
export function compositeCrc32(parts) {
  return `${crc32(Buffer.concat(parts.map(crc32Bytes)))}-${parts.length}`;
}

export function sha256(buf) {
  return createHash('sha256').update(buf).digest('hex');
}

// sha256Stream -- hex SHA-256 and byte count of an async-iterable body (a response stream).
export async function sha256Stream(body) {
  const h = createHash('sha256');
  let n = 0;
  for await (const chunk of body) {
    h.update(chunk);
    n += chunk.length;
  }
  return { hex: h.digest('hex'), bytes: n };
}

export async function sha256File(path) {
  return sha256Stream(createReadStream(path));
}

// readAll -- an async-iterable body into one Buffer.
export async function readAll(body) {
  const parts = [];
  for await (const chunk of body) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

// pattern -- n deterministic, incompressible-looking bytes (seeded), so a failure repeats.
export function pattern(n, seed) {
  const b = Buffer.alloc(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

// split -- buf cut into parts of partBytes (the last one short), as a client uploads it.
export function split(buf, partBytes) {
  const parts = [];
  for (let off = 0; off < buf.length; off += partBytes) parts.push(buf.subarray(off, off + partBytes));
  return parts;
}

// pool -- runs worker(item) over items with at most `width` in flight; rejects on the first error.
export async function pool(items, width, worker) {
  let next = 0;
  const run = async () => {
    while (next < items.length) await worker(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, run));
}
