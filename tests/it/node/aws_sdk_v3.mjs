// aws_sdk_v3.mjs -- the AWS SDK for JavaScript v3 (@aws-sdk/client-s3, lib-storage,
// s3-request-presigner) against coffer, run by tests/it/jsclients.sh. The client keeps its
// default configuration (retries, checksums: CRC32 on every PutObject and UploadPart, in a
// header for a Buffer body and in an aws-chunked trailer for a stream) plus only the endpoint,
// region us-east-1, the keys and forcePathStyle (127.0.0.1 has no bucket subdomains); one
// middleware records the headers each request went out with and changes nothing.
// Each check compares bytes, digests, statuses or error names; it prints PASS/FAIL and its
// COMPAT line (checks.mjs). Without the npm packages every check is a SKIP.
import { createHash } from 'node:crypto';
import { createReadStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Suite, env, packageVersion, expect, sameBytes, crc32, compositeCrc32, sha256, sha256Stream,
  readAll, pattern, pool, split,
} from './checks.mjs';

const CLIENT = 'aws-sdk-js-v3';
const BUCKET = 'js-aws-sdk';
const MANY = 1100; // keys for the ListObjectsV2 paginator: more than one page of 1000
const UPLOAD_BYTES = 50 * 1024 * 1024; // lib-storage Upload: 10 parts of its default 5 MiB

let sdk, storage, presigner, missing;
try {
  sdk = await import('@aws-sdk/client-s3');
  storage = await import('@aws-sdk/lib-storage');
  presigner = await import('@aws-sdk/s3-request-presigner');
} catch (e) {
  sdk = null;
  missing = e.message.split('\n')[0];
}

// sent -- the headers of the last request the client sent (a finalizeRequest middleware
// records them), to see which checksum mode the SDK chose.
let sent = {};

function client() {
  const s3 = new sdk.S3Client({
    endpoint: env.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: env.access, secretAccessKey: env.secret },
    forcePathStyle: true,
  });
  s3.middlewareStack.add(
    (next) => async (args) => {
      sent = { ...args.request.headers };
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'cofferRecordHeaders' },
  );
  return s3;
}

// sdkError -- the error a command rejects with (fails if it resolves).
async function sdkError(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('the request succeeded');
}

function expectError(e, name, code, status) {
  expect('error name', e.name, name);
  if (code !== undefined) expect('error Code', e.Code, code);
  expect('$metadata.httpStatusCode', e.$metadata?.httpStatusCode, status);
  expect('$fault', e.$fault, 'client');
}

// The checks, in order: each may use what an earlier one stored.
const small = pattern(12345, 1); // a Buffer body: CRC32 in a header
const streamed = pattern(1024 * 1024 + 7, 2); // a stream body: aws-chunked, CRC32 trailer
const presigned = pattern(70000, 3);
const checks = [
  ['CreateBucket', async (s3) => {
    const r = await s3.send(new sdk.CreateBucketCommand({ Bucket: BUCKET }));
    expect('Location', r.Location, `/${BUCKET}`);
    await s3.send(new sdk.HeadBucketCommand({ Bucket: BUCKET }));
  }],
  ['PutObject Buffer, default CRC32 in a header; HEAD ChecksumMode', async (s3) => {
    const r = await s3.send(new sdk.PutObjectCommand({ Bucket: BUCKET, Key: 'small', Body: small }));
    expect('sent x-amz-checksum-crc32', sent['x-amz-checksum-crc32'], crc32(small));
    expect('PutObject ChecksumCRC32', r.ChecksumCRC32, crc32(small));
    const h = await s3.send(new sdk.HeadObjectCommand({ Bucket: BUCKET, Key: 'small', ChecksumMode: 'ENABLED' }));
    expect('HEAD ChecksumCRC32', h.ChecksumCRC32, crc32(small));
    expect('HEAD ContentLength', h.ContentLength, small.length);
    const g = await s3.send(new sdk.GetObjectCommand({ Bucket: BUCKET, Key: 'small' }));
    sameBytes('GetObject', Buffer.from(await g.Body.transformToByteArray()), small);
  }],
  ['PutObject stream, default aws-chunked CRC32 trailer; HEAD ChecksumMode', async (s3) => {
    const file = join(env.tmp, 'streamed');
    writeFileSync(file, streamed);
    const r = await s3.send(new sdk.PutObjectCommand({
      Bucket: BUCKET, Key: 'streamed', Body: createReadStream(file), ContentLength: streamed.length,
    }));
    expect('sent x-amz-trailer', sent['x-amz-trailer'], 'x-amz-checksum-crc32');
    expect('sent content-encoding', sent['content-encoding'], 'aws-chunked');
    expect('PutObject ChecksumCRC32', r.ChecksumCRC32, crc32(streamed));
    const h = await s3.send(new sdk.HeadObjectCommand({ Bucket: BUCKET, Key: 'streamed', ChecksumMode: 'ENABLED' }));
    expect('HEAD ChecksumCRC32', h.ChecksumCRC32, crc32(streamed));
    expect('HEAD ContentLength', h.ContentLength, streamed.length);
    // aws-chunked is how the body travelled, not the object's encoding: S3 does not keep it
    expect('HEAD ContentEncoding', h.ContentEncoding, undefined);
    const g = await s3.send(new sdk.GetObjectCommand({ Bucket: BUCKET, Key: 'streamed' }));
    sameBytes('GetObject', await readAll(g.Body), streamed);
  }],
  ['GetObject Range', async (s3) => {
    const g = await s3.send(new sdk.GetObjectCommand({ Bucket: BUCKET, Key: 'streamed', Range: 'bytes=65530-131080' }));
    expect('status', g.$metadata.httpStatusCode, 206);
    expect('ContentRange', g.ContentRange, `bytes 65530-131080/${streamed.length}`);
    expect('ContentLength', g.ContentLength, 131080 - 65530 + 1);
    sameBytes('range bytes', await readAll(g.Body), streamed.subarray(65530, 131081));
    const t = await s3.send(new sdk.GetObjectCommand({ Bucket: BUCKET, Key: 'streamed', Range: 'bytes=-100' }));
    sameBytes('suffix range bytes', await readAll(t.Body), streamed.subarray(streamed.length - 100));
  }],
  [`ListObjectsV2 paginator over ${MANY} keys`, async (s3) => {
    const keys = Array.from({ length: MANY }, (_, i) => `many/${String(i).padStart(5, '0')}`);
    await pool(keys, 32, (k) => s3.send(new sdk.PutObjectCommand({ Bucket: BUCKET, Key: k, Body: k })));
    const listed = [];
    let pages = 0;
    for await (const page of sdk.paginateListObjectsV2({ client: s3 }, { Bucket: BUCKET, Prefix: 'many/' })) {
      pages++;
      for (const o of page.Contents ?? []) {
        listed.push(o.Key);
        if (o.Size !== 10) throw new Error(`${o.Key}: Size ${o.Size}, want 10`);
      }
    }
    expect('pages', pages, 2);
    expect('keys listed', listed.length, MANY);
    expect('keys in order', listed.join(','), keys.join(','));
  }],
  ['DeleteObjects', async (s3) => {
    const keys = Array.from({ length: MANY }, (_, i) => `many/${String(i).padStart(5, '0')}`);
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const r = await s3.send(new sdk.DeleteObjectsCommand({
        Bucket: BUCKET, Delete: { Objects: batch.map((Key) => ({ Key })) },
      }));
      expect('Deleted', r.Deleted?.length, batch.length);
      expect('Errors', r.Errors?.length ?? 0, 0);
    }
    const l = await s3.send(new sdk.ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'many/' }));
    expect('KeyCount after delete', l.KeyCount, 0);
  }],
  ['multipart upload 50 MiB (lib-storage Upload)', async (s3) => {
    const file = join(env.tmp, 'fifty');
    const body = pattern(UPLOAD_BYTES, 4);
    writeFileSync(file, body);
    let parts = 0;
    const up = new storage.Upload({
      client: s3,
      params: { Bucket: BUCKET, Key: 'fifty', Body: createReadStream(file) },
    });
    up.on('httpUploadProgress', (p) => { if (p.part) parts = Math.max(parts, p.part); });
    const r = await up.done();
    expect('parts', parts, 10);
    expect('ETag part count', /-10"$/.test(r.ETag), true);
    // by default lib-storage asks for CRC32 at CreateMultipartUpload and sends one per part
    const composite = compositeCrc32(split(body, 5 * 1024 * 1024));
    expect('Upload ChecksumCRC32', r.ChecksumCRC32, composite);
    const h = await s3.send(new sdk.HeadObjectCommand({ Bucket: BUCKET, Key: 'fifty', ChecksumMode: 'ENABLED' }));
    expect('HEAD ChecksumCRC32', h.ChecksumCRC32, composite);
    expect('HEAD ChecksumType', h.ChecksumType, 'COMPOSITE');
    const g = await s3.send(new sdk.GetObjectCommand({ Bucket: BUCKET, Key: 'fifty' }));
    expect('ContentLength', g.ContentLength, UPLOAD_BYTES);
    const got = await sha256Stream(g.Body);
    expect('SHA-256 of the object read back', got.hex, sha256(body));
  }],
  ['CopyObject', async (s3) => {
    const r = await s3.send(new sdk.CopyObjectCommand({
      Bucket: BUCKET, Key: 'copied', CopySource: `${BUCKET}/streamed`,
    }));
    const h = await s3.send(new sdk.HeadObjectCommand({ Bucket: BUCKET, Key: 'streamed' }));
    expect('CopyObjectResult.ETag', r.CopyObjectResult?.ETag, h.ETag);
    const g = await s3.send(new sdk.GetObjectCommand({ Bucket: BUCKET, Key: 'copied' }));
    sameBytes('copy bytes', await readAll(g.Body), streamed);
  }],
  ['HeadObject missing key is NotFound 404', async (s3) => {
    const e = await sdkError(s3.send(new sdk.HeadObjectCommand({ Bucket: BUCKET, Key: 'no-such-key' })));
    expectError(e, 'NotFound', undefined, 404);
  }],
  ['GetObject missing key is NoSuchKey 404', async (s3) => {
    const e = await sdkError(s3.send(new sdk.GetObjectCommand({ Bucket: BUCKET, Key: 'no-such-key' })));
    expectError(e, 'NoSuchKey', 'NoSuchKey', 404);
  }],
  ['missing bucket is NoSuchBucket 404', async (s3) => {
    const e = await sdkError(s3.send(new sdk.ListObjectsV2Command({ Bucket: 'js-no-such-bucket' })));
    expectError(e, 'NoSuchBucket', 'NoSuchBucket', 404);
  }],
  ['presigned GET via fetch (getSignedUrl)', async (s3) => {
    const url = await presigner.getSignedUrl(s3, new sdk.GetObjectCommand({ Bucket: BUCKET, Key: 'small' }), { expiresIn: 300 });
    const res = await fetch(url);
    expect('status', res.status, 200);
    sameBytes('body', Buffer.from(await res.arrayBuffer()), small);
  }],
  ['presigned PUT via fetch (getSignedUrl)', async (s3) => {
    const url = await presigner.getSignedUrl(s3, new sdk.PutObjectCommand({ Bucket: BUCKET, Key: 'presigned' }), { expiresIn: 300 });
    const res = await fetch(url, { method: 'PUT', body: presigned });
    expect('status', res.status, 200);
    expect('ETag', res.headers.get('etag'), `"${createHash('md5').update(presigned).digest('hex')}"`);
    const g = await s3.send(new sdk.GetObjectCommand({ Bucket: BUCKET, Key: 'presigned' }));
    sameBytes('object read back', await readAll(g.Body), presigned);
  }],
];

const version = packageVersion('@aws-sdk/client-s3');
const suite = new Suite(CLIENT, version ?? 'not installed');
if (!sdk) {
  for (const [op] of checks) suite.skip(op, `the npm packages are not installed (${missing})`);
} else {
  const s3 = client();
  for (const [op, fn] of checks) await suite.check(op, () => fn(s3));
  s3.destroy();
}
process.exitCode = suite.result();
