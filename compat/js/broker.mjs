// Drives the real, unmodified jsforce through Warden's broker proxy: the
// Connection's instance URL is the proxy's URL for one user and its access
// token is a broker key, which is all an application changes to switch to
// the broker (docs/broker.md). Prints one JSON object on stdout, as
// jsforce_test.mjs does. Usage:
//
//   node broker.mjs CASE
//
// Environment:
//   BROKER_INSTANCE_URL   http://127.0.0.1:PORT/broker/v1/proxy/USERNAME
//   BROKER_KEY            the broker key (wbk_...)
//   BROKER_USERNAME       the user the proxy acts as
//   SF_API_VERSION        API version for the Connection
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const modulesDir = process.env.WARDEN_NODE_MODULES;
const jsforce = modulesDir
  ? require(require.resolve('jsforce', { paths: [modulesDir] }))
  : require('jsforce');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is required`);
  return v;
};

function connection() {
  return new jsforce.Connection({
    instanceUrl: env('BROKER_INSTANCE_URL'),
    accessToken: env('BROKER_KEY'),
    version: env('SF_API_VERSION'),
  });
}

const cases = {
  // A query (with paging through nextRecordsUrl) and an update, through
  // the proxy.
  async query_update() {
    const conn = connection();
    const me = await conn.query(`SELECT Id, Username, Title FROM User WHERE Username = '${env('BROKER_USERNAME')}'`);
    const id = me.records[0].Id;
    const title = `Broker ${Date.now()}`;
    const saved = await conn.sobject('User').update({ Id: id, Title: title });
    const after = await conn.sobject('User').retrieve(id);
    const records = [];
    await new Promise((resolve, reject) => {
      conn
        .query('SELECT Id FROM User')
        .on('record', (r) => records.push(r.Id))
        .on('end', resolve)
        .on('error', reject)
        .run({ autoFetch: true, maxFetch: 10000, headers: { 'Sforce-Query-Options': 'batchSize=200' } });
    });
    const limits = await conn.limits();
    return { id, saved, title: after.Title, wantTitle: title, paged: records.length, dailyMax: limits.DailyApiRequests.Max,
      limitInfo: conn.limitInfo };
  },
  // The identity of the session, which jsforce finds through the version's
  // resource map.
  async identity() {
    const conn = connection();
    return await conn.identity();
  },
};

function errorInfo(err) {
  if (!err || typeof err !== 'object') return { message: String(err) };
  const out = { name: err.name, message: err.message };
  if (err.errorCode !== undefined) out.errorCode = err.errorCode;
  return out;
}

const name = process.argv[2];
if (!name || !cases[name]) {
  process.stdout.write(JSON.stringify({ case: name ?? null, ok: false, error: { message: 'unknown case' } }) + '\n');
  process.exit(2);
}
try {
  const result = await cases[name]();
  process.stdout.write(JSON.stringify({ case: name, ok: true, result }) + '\n');
} catch (err) {
  process.stdout.write(JSON.stringify({ case: name, ok: false, error: errorInfo(err) }) + '\n');
}
