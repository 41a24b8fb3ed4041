// minio_js.mjs -- minio-js (the `minio` npm package) against coffer, run by
// tests/it/jsclients.sh. The client keeps its default configuration plus only endPoint, port,
// useSSL false, the keys and region us-east-1. It is path-style by default for an endpoint
// that is not Amazon's (pathStyle defaults to true), so 127.0.0.1 works without setting it.
// Its default partSize is 64 MiB: fPutObject of a larger file goes multipart.
// Each check compares bytes, digests, counts or names; it prints PASS/FAIL and its COMPAT line
// (checks.mjs). Without the npm package every check is a SKIP.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Suite, env, packageVersion, expect, sameBytes, sha256, sha256Stream, readAll, pattern, pool,
  split,
} from './checks.mjs';

const CLIENT = 'minio-js';
const BUCKET = 'js-minio';
const MIB = 1024 * 1024;
const DEFAULT_PART_BYTES = 64 * MIB; // minio-js's own default (Client.partSize)
const BIG_BYTES = DEFAULT_PART_BYTES + 3 * MIB + 5; // two parts: 64 MiB and the rest
const MANY = 1050; // more than one ListObjectsV2 page and one DeleteObjects batch

let Minio;
let missing;
try {
  Minio = await import('minio');
} catch (e) {
  missing = e.message.split('\n')[0];
}

const md5 = (b) => createHash('md5').update(b).digest('hex');

// multipartEtag -- S3's ETag of an object made of these parts: the MD5 of the parts' MD5s,
// "-", the part count.
function multipartEtag(parts) {
  const h = createHash('md5');
  for (const p of parts) h.update(createHash('md5').update(p).digest());
  return `${h.digest('hex')}-${parts.length}`;
}

async function listAll(mc, prefix) {
  const names = [];
  for await (const o of mc.listObjectsV2(BUCKET, prefix, true)) names.push(o.name);
  return names;
}

const big = pattern(BIG_BYTES, 11);
const small = pattern(4321, 12);
const manyKeys = Array.from({ length: MANY }, (_, i) => `many/${String(i).padStart(5, '0')}`);
const checks = [
  ['makeBucket', async (mc) => {
    await mc.makeBucket(BUCKET);
    expect('bucketExists', await mc.bucketExists(BUCKET), true);
  }],
  [`fPutObject ${BIG_BYTES} B (multipart, default 64 MiB parts)`, async (mc) => {
    expect('default partSize', mc.partSize, DEFAULT_PART_BYTES);
    const file = join(env.tmp, 'minio-big');
    writeFileSync(file, big);
    const r = await mc.fPutObject(BUCKET, 'big', file, { 'Content-Type': 'application/x-coffer-test' });
    expect('etag (two parts)', r.etag, multipartEtag(split(big, DEFAULT_PART_BYTES)));
    const got = await sha256Stream(await mc.getObject(BUCKET, 'big'));
    expect('bytes read back', got.bytes, BIG_BYTES);
    expect('SHA-256 read back', got.hex, sha256(big));
  }],
  ['getPartialObject', async (mc) => {
    const off = DEFAULT_PART_BYTES - 1000; // across the part boundary
    const part = await readAll(await mc.getPartialObject(BUCKET, 'big', off, 3000));
    sameBytes('bytes at 64 MiB - 1000', part, big.subarray(off, off + 3000));
    const tail = await readAll(await mc.getPartialObject(BUCKET, 'big', BIG_BYTES - 10));
    sameBytes('the last 10 bytes (no length)', tail, big.subarray(BIG_BYTES - 10));
  }],
  [`listObjectsV2 stream over ${MANY} keys`, async (mc) => {
    await pool(manyKeys, 32, (k) => mc.putObject(BUCKET, k, Buffer.from(k)));
    const names = await listAll(mc, 'many/');
    expect('count', names.length, MANY);
    expect('names in order', names.join(','), manyKeys.join(','));
  }],
  [`removeObjects of ${MANY}`, async (mc) => {
    const errors = await mc.removeObjects(BUCKET, manyKeys);
    expect('errors', errors.length, 0);
    expect('keys left', (await listAll(mc, 'many/')).length, 0);
  }],
  ['statObject (size, etag, metaData)', async (mc) => {
    await mc.putObject(BUCKET, 'small', small, small.length, {
      'Content-Type': 'text/plain', 'X-Amz-Meta-Origin': 'minio-js', 'Cache-Control': 'max-age=60',
    });
    const st = await mc.statObject(BUCKET, 'small');
    expect('size', st.size, small.length);
    expect('etag', st.etag, md5(small));
    expect('metaData content-type', st.metaData['content-type'], 'text/plain');
    expect('metaData origin', st.metaData.origin, 'minio-js');
    expect('metaData cache-control', st.metaData['cache-control'], 'max-age=60');
    expect('lastModified is a date', st.lastModified instanceof Date && !isNaN(st.lastModified), true);
  }],
  ['presignedGetObject via fetch', async (mc) => {
    const res = await fetch(await mc.presignedGetObject(BUCKET, 'small', 300));
    expect('status', res.status, 200);
    sameBytes('body', Buffer.from(await res.arrayBuffer()), small);
  }],
  ['presignedPutObject via fetch', async (mc) => {
    const body = pattern(100000, 13);
    const res = await fetch(await mc.presignedPutObject(BUCKET, 'presigned-put', 300), { method: 'PUT', body });
    expect('status', res.status, 200);
    expect('ETag', res.headers.get('etag'), `"${md5(body)}"`);
    sameBytes('object read back', await readAll(await mc.getObject(BUCKET, 'presigned-put')), body);
  }],
  ['presignedPostPolicy via fetch FormData POST', async (mc) => {
    const body = pattern(50000, 14);
    const policy = mc.newPostPolicy();
    policy.setBucket(BUCKET);
    policy.setKey('posted');
    policy.setContentType('application/x-coffer-form');
    policy.setContentLengthRange(1, MIB);
    const expires = new Date();
    expires.setSeconds(expires.getSeconds() + 300);
    policy.setExpires(expires);
    const { postURL, formData } = await mc.presignedPostPolicy(policy);
    const form = new FormData();
    for (const [name, value] of Object.entries(formData)) form.append(name, value);
    form.append('file', new Blob([body]), 'posted.bin');
    const res = await fetch(postURL, { method: 'POST', body: form });
    expect('status', res.status, 204);
    const st = await mc.statObject(BUCKET, 'posted');
    expect('content-type', st.metaData['content-type'], 'application/x-coffer-form');
    sameBytes('object read back', await readAll(await mc.getObject(BUCKET, 'posted')), body);
  }],
  // Whole sources: minio-js 8.0.7 copies a ranged source (MatchRange, Start, End) from byte 0
  // whatever Start says (calculateEvenSplits tests a number with lodash's isEmpty, true for
  // every number), so a range would test minio-js, not coffer.
  ['composeObject of three sources', async (mc) => {
    const parts = [pattern(6 * MIB, 15), pattern(5 * MIB, 16), pattern(1000, 17)];
    await Promise.all(parts.map((p, i) => mc.putObject(BUCKET, `part-${i}`, p)));
    await mc.composeObject(
      new Minio.CopyDestinationOptions({ Bucket: BUCKET, Object: 'composed' }),
      parts.map((_, i) => new Minio.CopySourceOptions({ Bucket: BUCKET, Object: `part-${i}` })),
    );
    const want = Buffer.concat(parts);
    sameBytes('composed bytes', await readAll(await mc.getObject(BUCKET, 'composed')), want);
    const st = await mc.statObject(BUCKET, 'composed');
    expect('size', st.size, want.length);
    expect('etag (three parts)', st.etag, multipartEtag(parts));
  }],
];

const suite = new Suite(CLIENT, packageVersion('minio') ?? 'not installed');
if (!Minio) {
  for (const [op] of checks) suite.skip(op, `the npm package is not installed (${missing})`);
} else {
  const url = new URL(env.endpoint);
  const mc = new Minio.Client({
    endPoint: url.hostname,
    port: Number(url.port),
    useSSL: false,
    accessKey: env.access,
    secretKey: env.secret,
    region: 'us-east-1',
  });
  for (const [op, fn] of checks) await suite.check(op, () => fn(mc));
}
process.exitCode = suite.result();
