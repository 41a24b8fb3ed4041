// duckdb_read.mjs -- runs SQL in DuckDB-wasm (duckdb_wasm.mjs) against a coffer endpoint and
// prints each result row as one JSON line; tests/it/s3_duckdb_test.py drives it, and it reads
// coffer's change-log windows (the coffer-cdc bucket) as they are.
//
//   node duckdb_read.mjs --endpoint http://127.0.0.1:9000 [--region us-east-1]
//        [--glob 's3://coffer-cdc/BUCKET/2026/12/07/*.ndjson'] [--sql SQL]...
//        [--copy-to PATH --out FILE] [--requests]
//
// Keys come from COFFER_ACCESS and COFFER_SECRET (never from the command line: ps shows it).
// --glob  creates the views `lines` (line, filename) and `changes` (the change-log fields,
//         typed: doc/analytics.md) over the NDJSON files it names; --sql defaults to
//         SELECT * FROM changes ORDER BY time, seq.
// --sql   may repeat: each statement runs in order; rows of every one are printed.
// --copy-to PATH --out FILE: after the statements, writes the file DuckDB made at PATH in its
//         virtual file system (e.g. by COPY ... TO PATH) to FILE on disk.
// --requests: prints, after the rows, one line {"requests":[{method,url,range,status,id}...]}
//         with every HTTP request DuckDB sent.
// TIMESTAMP and DATE values print as DuckDB casts them to VARCHAR ("2026-12-07 21:04:05.123456");
// integers (HUGEINT too) as numbers when exact, else as strings; DECIMALs as strings ("1.50").
// Exit: 0 done; 1 a statement failed (its error on stderr); 2 usage; 77 the npm package is
// not installed (the tests' SKIP).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadPackage, ndjsonViews, openDuckDB, PACKAGE } from './duckdb_wasm.mjs';

const SKIP_EXIT = 77;

function usage(why) {
  console.error(`duckdb_read: ${why}\nusage: node duckdb_read.mjs --endpoint URL [--glob S3GLOB] [--sql SQL]... ` +
    '[--copy-to PATH --out FILE] [--requests]   (keys: COFFER_ACCESS, COFFER_SECRET)');
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      endpoint: { type: 'string' },
      region: { type: 'string', default: 'us-east-1' },
      glob: { type: 'string' },
      sql: { type: 'string', multiple: true },
      'copy-to': { type: 'string' },
      out: { type: 'string' },
      requests: { type: 'boolean' },
    },
  }).values;
} catch (e) {
  usage(e.message);
}
if (!args.endpoint) usage('--endpoint is required');
if (!process.env.COFFER_ACCESS || !process.env.COFFER_SECRET) usage('COFFER_ACCESS and COFFER_SECRET must be set');
if (!!args['copy-to'] !== !!args.out) usage('--copy-to and --out go together');
if (!loadPackage()) {
  console.log(`SKIP ${PACKAGE} is not installed (tests/it/lib/npm.sh tests/it/node)`);
  process.exit(SKIP_EXIT);
}

const statements = [...(args.glob ? ndjsonViews(args.glob) : []),
  ...(args.sql ?? (args.glob ? ['SELECT * FROM changes ORDER BY time, seq'] : []))];
let db = null;
let status = 0;
try {
  db = await openDuckDB({
    endpoint: args.endpoint,
    region: args.region,
    access: process.env.COFFER_ACCESS,
    secret: process.env.COFFER_SECRET,
  });
  for (const sql of statements) {
    for (const row of db.query(sql)) console.log(JSON.stringify(row));
  }
  if (args['copy-to']) writeFileSync(args.out, db.file(args['copy-to']));
} catch (e) {
  console.error(`duckdb_read: ${e.message}`);
  status = 1;
}
if (db && args.requests) console.log(JSON.stringify({ requests: db.requests }));
await db?.close();
process.exit(status);
