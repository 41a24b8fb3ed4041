// minio_post.mjs -- a browser-style upload as minio-js makes it: presignedPostPolicy
// (bucket, key, Content-Type, a content-length range, user metadata), then the form
// posted with node's fetch and FormData, the file last. Run by tests/it/s3_post_object_test.py:
//
//   node minio_post.mjs PORT ACCESS SECRET BUCKET KEY FILE [MAX_BYTES]
//
// Prints one JSON line: {status, body, location, url, fields}.
import { readFile } from 'node:fs/promises';
import * as Minio from 'minio';

const [port, accessKey, secretKey, bucket, key, file, max] = process.argv.slice(2);
const client = new Minio.Client({
  endPoint: '127.0.0.1',
  port: Number(port),
  useSSL: false,
  accessKey,
  secretKey,
  region: 'us-east-1',
  pathStyle: true,
});
const policy = client.newPostPolicy();
policy.setBucket(bucket);
policy.setKey(key);
policy.setContentType('application/x-minio-test');
policy.setContentLengthRange(1, Number(max || 10 * 1024 * 1024));
policy.setUserMetaData({ origin: 'minio-js' });
const expires = new Date();
expires.setSeconds(expires.getSeconds() + 600);
policy.setExpires(expires);
const { postURL, formData } = await client.presignedPostPolicy(policy);

const form = new FormData();
for (const [name, value] of Object.entries(formData)) form.append(name, value);
form.append('file', new Blob([await readFile(file)]), 'minio.bin');
const res = await fetch(postURL, { method: 'POST', body: form });
console.log(JSON.stringify({
  status: res.status,
  body: await res.text(),
  location: res.headers.get('location'),
  url: postURL,
  fields: formData,
}));
