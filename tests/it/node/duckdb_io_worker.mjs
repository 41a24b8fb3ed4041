// duckdb_io_worker.mjs -- the worker thread behind duckdb_wasm.mjs's synchronous I/O.
// DuckDB-wasm's browser runtime reads files with synchronous XMLHttpRequests, which node lacks;
// duckdb_wasm.mjs blocks its thread on Atomics.wait while this worker does the request with
// node's own async clients and hands the answer back. Protocol, one message per request:
//   in:  { port, flag, job }   port: a MessagePort for the answer; flag: an Int32Array on a
//        SharedArrayBuffer, 0 while pending; job: { kind: 'http', method, url, headers, body }
//        or { kind: 'list', endpoint, region, access, secret, bucket, prefix }
//   out: port receives { status, statusText, headers, body: ArrayBuffer } for 'http',
//        { keys: [string] } for 'list' (every key under prefix, ListObjectsV2 paged to the end),
//        or { error: string }; then flag becomes 1 and is notified.
// The answer is posted before the flag is set, so the blocked thread finds it with
// receiveMessageOnPort as soon as it wakes. Requests go out exactly as given: http.request adds
// only Host (the signed one: the URL's host:port) and Content-Length for a body.
import http from 'node:http';
import https from 'node:https';
import { parentPort } from 'node:worker_threads';

function send(job) {
  return new Promise((resolve, reject) => {
    const url = new URL(job.url);
    const req = (url.protocol === 'https:' ? https : http).request(url, {
      method: job.method,
      headers: job.headers,
    });
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({
          status: res.statusCode,
          statusText: res.statusMessage,
          headers: res.headers,
          body: body.buffer.slice(body.byteOffset, body.byteOffset + body.length),
        });
      });
    });
    req.on('error', reject);
    req.end(job.body ? Buffer.from(job.body) : undefined);
  });
}

// list -- every key under prefix, by the AWS SDK's ListObjectsV2 paginator (SigV4-signed).
let sdk = null;
async function list(job) {
  sdk ??= await import('@aws-sdk/client-s3');
  const s3 = new sdk.S3Client({
    endpoint: job.endpoint,
    region: job.region,
    credentials: { accessKeyId: job.access, secretAccessKey: job.secret },
    forcePathStyle: true,
  });
  const keys = [];
  const pages = sdk.paginateListObjectsV2({ client: s3 }, { Bucket: job.bucket, Prefix: job.prefix });
  for await (const page of pages) for (const o of page.Contents ?? []) keys.push(o.Key);
  s3.destroy();
  return { keys };
}

parentPort.on('message', async ({ port, flag, job }) => {
  let answer;
  try {
    answer = job.kind === 'list' ? await list(job) : await send(job);
  } catch (e) {
    answer = { error: `${e?.name ?? 'Error'}: ${e?.message ?? e}` };
  }
  port.postMessage(answer);
  port.close();
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
