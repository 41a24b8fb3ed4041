// duckdb_wasm.mjs -- DuckDB (the npm package @duckdb/duckdb-wasm 1.28.0, DuckDB 0.9.1) in node,
// reading coffer through S3 exactly as it does in a browser. Used by duckdb_read.mjs (the
// command-line reader) and so by tests/it/s3_duckdb_test.py; doc/analytics.md says what runs.
//
// Why the browser build: the package's node build reads only local files; its browser runtime
// reads http:// and s3:// itself -- it signs S3 requests with SigV4 from DuckDB's s3_* settings
// and reads byte ranges -- but through synchronous XMLHttpRequest, which node lacks. So:
//   - XMLHttpRequest here is SyncXhr: each send() blocks on Atomics.wait while
//     duckdb_io_worker.mjs does the request with node:http, and the answer is taken with
//     receiveMessageOnPort. Only the endpoint given to openDuckDB may be reached: anything else
//     DuckDB asks for (an extension download, another host) fails instead of leaving the machine.
//   - the runtime's glob() of an s3:// pattern only HEADs the pattern as if it were one key; a
//     pattern with * ? [ is listed instead (ListObjectsV2 from the same s3_* settings, in the
//     worker) and matched as DuckDB globs match: * and ? within one path segment, ** across.
//   - the build has parquet built in but not json (read_json_auto: "exists in the json
//     extension", which only a download could bring), so NDJSON is read with read_csv as one
//     VARCHAR column per line and NDJSON_MACROS pick the fields out of each line (see there
//     for what they decode). Record times (UTC, "...Z") become TIMESTAMPs in UTC.
// The wasm module is compiled once per process from the package's file (fetch() is given a
// file: reader for that one call).
//
// Invariants: (1) SyncXhr reaches no origin but the endpoint's; (2) every request DuckDB sent is
// in `requests`, in order, with its Range header, the status it got and the x-amz-request-id
// that names it in coffer's access log.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';

const HERE = dirname(fileURLToPath(import.meta.url));
const IO_TIMEOUT_MS = 120000; // one request or one whole listing; a test's bound, not a tunable

export const PACKAGE = '@duckdb/duckdb-wasm';

// loadPackage -- the package's browser-blocking build, its dist directory and the Arrow
// library it returns results in; null if the package is not installed.
export function loadPackage() {
  const require = createRequire(join(HERE, 'package.json'));
  try {
    const main = require.resolve(`${PACKAGE}/dist/duckdb-browser-blocking.cjs`);
    return { duckdb: require(main), arrow: require('apache-arrow'), dist: dirname(main) };
  } catch {
    return null;
  }
}

// SyncIo -- runs one job of duckdb_io_worker.mjs and blocks until its answer.
class SyncIo {
  constructor() {
    this.worker = new Worker(join(HERE, 'duckdb_io_worker.mjs'));
    this.worker.unref(); // the process may end while the worker idles
  }

  run(job) {
    const { port1, port2 } = new MessageChannel();
    const flag = new Int32Array(new SharedArrayBuffer(4));
    this.worker.postMessage({ port: port2, flag, job }, [port2]);
    const waited = Atomics.wait(flag, 0, 0, IO_TIMEOUT_MS);
    const answer = receiveMessageOnPort(port1);
    port1.close();
    if (waited === 'timed-out' || !answer) throw new Error(`no answer in ${IO_TIMEOUT_MS} ms: ${job.url ?? job.kind}`);
    if (answer.message.error) throw new Error(answer.message.error);
    return answer.message;
  }

  close() {
    return this.worker.terminate();
  }
}

// syncXhrClass -- an XMLHttpRequest class whose requests are synchronous only (what DuckDB's
// runtime uses), go through io, may reach only `origin`, and are recorded in `requests`.
function syncXhrClass(io, origin, requests) {
  return class SyncXhr {
    constructor() {
      this.responseType = '';
      this.status = 0;
      this.statusText = '';
      this.response = null;
      this.responseText = '';
      this.sendHeaders = {};
      this.gotHeaders = {};
    }

    open(method, url, async) {
      if (async !== false) throw new Error('SyncXhr: only synchronous requests are supported');
      this.method = method;
      this.url = String(url);
    }

    setRequestHeader(name, value) {
      this.sendHeaders[name] = value;
    }

    send(body) {
      const entry = { method: this.method, url: this.url, range: this.sendHeaders.Range ?? null, status: null };
      requests.push(entry);
      if (new URL(this.url).origin !== origin) throw new Error(`SyncXhr: ${this.url} is not on ${origin}`);
      const r = io.run({ kind: 'http', method: this.method, url: this.url, headers: this.sendHeaders, body: body ?? null });
      entry.status = r.status;
      entry.id = r.headers['x-amz-request-id'] ?? null;
      this.status = r.status;
      this.statusText = r.statusText;
      this.gotHeaders = r.headers;
      this.response = this.responseType === 'arraybuffer' ? r.body : Buffer.from(r.body).toString();
      this.responseText = typeof this.response === 'string' ? this.response : '';
    }

    getResponseHeader(name) {
      const v = this.gotHeaders[name.toLowerCase()];
      return v === undefined ? null : String(v);
    }

    getAllResponseHeaders() {
      return Object.entries(this.gotHeaders).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    }
  };
}

// globRegExp -- a DuckDB glob over keys as a RegExp: * and ? stay within one path segment,
// ** crosses segments (**/ also matches none), [abc] / [!abc] are classes (never "/");
// anything else is literal.
export function globRegExp(glob) {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*' && glob[i + 2] === '/') {
      re += '(?:.*/)?'; // **/ : no directory or any number of them
      i += 2;
    } else if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') {
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[' && glob.indexOf(']', i + 1) > i + 1) {
      const end = glob.indexOf(']', i + 1);
      const body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
      re += body.startsWith('!') ? `[^/${body.slice(1)}]` : `[${body}]`;
      i = end;
    } else {
      re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`);
}

// listingGlob -- wraps runtime.glob: an s3:// pattern with a wildcard is answered from a
// ListObjectsV2 of the key's fixed prefix (with the s3_* settings DuckDB holds), each match
// handed to DuckDB in key order; any other path goes to the runtime's own glob.
function listingGlob(duckdb, runtime, io) {
  const own = runtime.glob;
  runtime.glob = (mod, ptr, len) => {
    const path = duckdb.readString(mod, ptr, len);
    const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(path);
    const wild = m ? m[2].search(/[*?[]/) : -1;
    if (wild < 0) return own(mod, ptr, len);
    try {
      const s3 = runtime.getGlobalFileInfo(mod)?.s3Config ?? {};
      const { keys } = io.run({
        kind: 'list', endpoint: s3.endpoint, region: s3.region || 'us-east-1',
        access: s3.accessKeyId, secret: s3.secretAccessKey, bucket: m[1], prefix: m[2].slice(0, wild),
      });
      const re = globRegExp(m[2]);
      for (const key of keys.filter((k) => re.test(k)).sort()) {
        mod.ccall('duckdb_web_fs_glob_add_path', null, ['string'], [`s3://${m[1]}/${key}`]);
      }
    } catch (e) {
      duckdb.failWith(mod, `listing ${path}: ${e.message}`);
    }
    return undefined;
  };
}

// NDJSON_MACROS -- SQL macros for NDJSON lines read as text (no json extension in this build):
//   ndjson_raw(line, name)    the JSON text of the line's top-level member `name`: a string with
//                             its quotes, a number, true/false/null, or an object whose values
//                             are not objects ({"k":"v",...}); '' if absent. The pattern walks
//                             the members from the line's start, whole value by whole value, so
//                             a member of the same name inside an object (a user's
//                             x-amz-meta-seq in "meta") or text inside a string never matches.
//   ndjson_value(line, name)  the same, NULL for null or absent (for numbers, booleans, objects).
//   ndjson_str(line, name)    a string member decoded (\" \\ \/ \b \f \n \r \t; \uXXXX, which
//                             coffer writes only for control characters, is left as written),
//                             NULL for null or absent.
const JSON_VALUE = String.raw`"(?:[^"\\]|\\.)*"|\{(?:[^"{}\\]|"(?:[^"\\]|\\.)*")*\}|[^,}\s]+`;
export const NDJSON_MACROS = [
  String.raw`CREATE MACRO ndjson_raw(line, name) AS regexp_extract(line,
     '^\s*\{(?:\s*"(?:[^"\\]|\\.)*"\s*:\s*(?:${JSON_VALUE})\s*,)*?\s*"' || name || '"\s*:\s*(${JSON_VALUE})', 1)`,
  String.raw`CREATE MACRO ndjson_unescape(s) AS
     replace(replace(replace(replace(replace(replace(replace(replace(
       replace(s, '\\', chr(1)),
       '\"', '"'), '\/', '/'), '\b', chr(8)), '\f', chr(12)), '\n', chr(10)), '\r', chr(13)),
       '\t', chr(9)), chr(1), '\')`,
  String.raw`CREATE MACRO ndjson_str(line, name) AS CASE
     WHEN ndjson_raw(line, name) LIKE '"%'
     THEN ndjson_unescape(substr(ndjson_raw(line, name), 2, length(ndjson_raw(line, name)) - 2))
     END`,
  String.raw`CREATE MACRO ndjson_value(line, name) AS
     CASE WHEN ndjson_raw(line, name) NOT IN ('', 'null') THEN ndjson_raw(line, name) END`,
];

// ndjsonViews -- SQL creating `lines` (line VARCHAR, filename VARCHAR: one row per line of the
// files `glob` names) and `changes` over it: coffer's change-log records (version 1, written by
// src/store/cdc_record.c), one column per field, typed; checksum and meta as JSON text.
export function ndjsonViews(glob) {
  const lit = `'${glob.replace(/'/g, "''")}'`;
  return [
    `CREATE VIEW lines AS SELECT line, filename FROM read_csv(${lit}, columns={'line': 'VARCHAR'},
       delim=chr(1), quote='', escape='', header=false, auto_detect=false, filename=true)`,
    `CREATE VIEW changes AS SELECT
       CAST(ndjson_value(line, 'v') AS INTEGER) AS v,
       CAST(ndjson_str(line, 'time') AS TIMESTAMP) AS time,
       CAST(ndjson_value(line, 'seq') AS BIGINT) AS seq,
       ndjson_str(line, 'event') AS event,
       ndjson_str(line, 'op') AS op,
       ndjson_str(line, 'bucket') AS bucket,
       ndjson_str(line, 'key') AS key,
       ndjson_str(line, 'key_base64') AS key_base64,
       ndjson_str(line, 'version_id') AS version_id,
       CAST(ndjson_value(line, 'deleted') AS BOOLEAN) AS deleted,
       CAST(ndjson_value(line, 'size') AS BIGINT) AS size,
       ndjson_str(line, 'etag') AS etag,
       ndjson_value(line, 'checksum') AS checksum,
       ndjson_str(line, 'content_type') AS content_type,
       ndjson_value(line, 'meta') AS meta,
       ndjson_str(line, 'tags') AS tags,
       ndjson_str(line, 'access_key') AS access_key,
       ndjson_str(line, 'request_id') AS request_id,
       filename
     FROM lines WHERE line <> ''`,
  ];
}

// timeText -- a TIMESTAMP or DATE, which Arrow hands over as epoch milliseconds (a fraction
// holding the microseconds), as DuckDB casts it to VARCHAR: '2026-12-07 21:04:05.123456' (the
// fraction without trailing zeros, none if zero) or '2026-12-07'.
function timeText(ms, isDate) {
  const us = Math.round(ms * 1000);
  const iso = new Date(Math.floor(us / 1000)).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  if (isDate) return iso.slice(0, 10);
  const frac = String(((us % 1e6) + 1e6) % 1e6).padStart(6, '0').replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? `.${frac}` : ''}`;
}

// decimalValue -- a DECIMAL or HUGEINT (Arrow: Decimal, its unscaled digits in a bignum) as a
// number when it is an exact integer, else its text with the point ("-12.50").
function decimalValue(v, scale) {
  const digits = String(v);
  if (scale === 0) return exactNumber(digits);
  const neg = digits.startsWith('-');
  const abs = (neg ? digits.slice(1) : digits).padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${abs.slice(0, -scale)}.${abs.slice(-scale)}`;
}

// exactNumber -- an integer (bigint or its text) as a number when exact, else as text.
function exactNumber(n) {
  return Number.isSafeInteger(Number(n)) ? Number(n) : String(n);
}

// plain -- an Arrow row as a JSON-ready object: BIGINTs as exactNumber; the columns named in
// `kinds` (name -> 'date' | 'timestamp' | a DECIMAL's scale) as timeText or decimalValue.
function plain(row, kinds) {
  const out = {};
  for (const [k, v] of Object.entries(row.toJSON())) {
    const kind = kinds.get(k);
    if (v == null || kind === undefined) out[k] = typeof v === 'bigint' ? exactNumber(v) : v;
    else if (typeof kind === 'number') out[k] = decimalValue(v, kind);
    else out[k] = timeText(v, kind === 'date');
  }
  return out;
}

// openDuckDB -- a DuckDB instance whose S3 settings point at `endpoint` (path style, plain
// http, the given keys); the endpoint's origin is all it may reach (an http:// URL DuckDB reads
// must be on it too).
// Returns { query(sql) -> rows, file(path) -> Uint8Array (a file DuckDB wrote in its
// virtual file system), requests, close() }; throws if the package is not installed.
// REQUIRES: called once per process (the runtime and XMLHttpRequest it sets are global).
export async function openDuckDB({ endpoint, access, secret, region = 'us-east-1' }) {
  if (globalThis.XMLHttpRequest) throw new Error('openDuckDB: once per process (it sets XMLHttpRequest)');
  const pkg = loadPackage();
  if (!pkg) throw new Error(`${PACKAGE} is not installed`);
  const { duckdb, arrow, dist } = pkg;
  const io = new SyncIo();
  const requests = [];
  globalThis.XMLHttpRequest = syncXhrClass(io, new URL(endpoint).origin, requests);
  listingGlob(duckdb, duckdb.BROWSER_RUNTIME, io);

  const bundles = {
    mvp: { mainModule: pathToFileURL(join(dist, 'duckdb-mvp.wasm')).href, mainWorker: '' },
    eh: { mainModule: pathToFileURL(join(dist, 'duckdb-eh.wasm')).href, mainWorker: '' },
  };
  const db = await duckdb.createDuckDB(bundles, new duckdb.VoidLogger(), duckdb.BROWSER_RUNTIME);
  const fetch = globalThis.fetch;
  globalThis.fetch = async (req) => new Response(readFileSync(new URL(req.url ?? req)), {
    headers: { 'content-type': 'application/wasm' },
  });
  try {
    await db.instantiate();
  } finally {
    globalThis.fetch = fetch;
  }
  db.open({});
  const conn = db.connect();
  const kindOf = (f) => ({
    [arrow.Type.Timestamp]: 'timestamp', [arrow.Type.Date]: 'date', [arrow.Type.Decimal]: f.type.scale,
  })[f.typeId];
  const query = (sql) => {
    const table = conn.query(sql);
    const kinds = new Map(table.schema.fields.filter((f) => kindOf(f) !== undefined)
      .map((f) => [f.name, kindOf(f)]));
    return table.toArray().map((row) => plain(row, kinds));
  };
  const quote = (s) => `'${String(s).replace(/'/g, "''")}'`;
  query(`SET s3_endpoint=${quote(endpoint)}`);
  query(`SET s3_region=${quote(region)}`);
  query(`SET s3_access_key_id=${quote(access)}`);
  query(`SET s3_secret_access_key=${quote(secret)}`);
  for (const sql of NDJSON_MACROS) query(sql);
  return {
    query,
    file: (path) => db.copyFileToBuffer(path),
    requests,
    close: async () => {
      conn.close();
      await io.close();
    },
  };
}
