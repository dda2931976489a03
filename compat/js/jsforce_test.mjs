// Drives the real, unmodified jsforce against a Salesforce endpoint (the Warden
// emulator in the compat tests) and prints one JSON object on stdout:
//
//   {"case": NAME, "ok": true, "result": {...}}      the operation succeeded
//   {"case": NAME, "ok": false, "error": {...}}      it threw (name, message, errorCode)
//
// The Go test (compat/compat_test.go) asserts on that output. Usage:
//
//   node jsforce_test.mjs CASE
//
// Configuration comes from the environment:
//   SF_LOGIN_URL        base URL of the emulator (login URL and instance URL)
//   SF_USERNAME         user to log in as
//   SF_PASSWORD         password
//   SF_SECURITY_TOKEN   security token appended to the password
//   SF_CLIENT_ID        connected app consumer key
//   SF_CLIENT_SECRET    connected app consumer secret
//   SF_REFRESH_TOKEN    (case refresh) a valid refresh token
//   SF_STALE_TOKEN      (case refresh) an access token the server no longer accepts
//   SF_BATCH_SIZE       (case query_paging) Sforce-Query-Options batchSize, default 200
//   SF_API_VERSION      API version for the Connection; jsforce's default when empty
//   SF_OTHER_USERNAME   (case relationship_query) the user to make the manager
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// The clients live in the install cache, not next to this file: NODE_PATH is
// not honoured by ESM imports, so resolve through WARDEN_NODE_MODULES.
const modulesDir = process.env.WARDEN_NODE_MODULES;
const jsforce = modulesDir
  ? require(require.resolve('jsforce', { paths: [modulesDir] }))
  : require('jsforce');

const env = (name, fallback) => {
  const v = process.env[name];
  if (v === undefined || v === '') {
    if (fallback !== undefined) return fallback;
    throw new Error(`environment variable ${name} is required`);
  }
  return v;
};

const loginUrl = () => env('SF_LOGIN_URL');
const username = () => env('SF_USERNAME');
const passwordWithToken = () => env('SF_PASSWORD') + env('SF_SECURITY_TOKEN', '');
const version = () => env('SF_API_VERSION', '') || undefined;
const oauth2 = () => ({
  clientId: env('SF_CLIENT_ID'),
  clientSecret: env('SF_CLIENT_SECRET'),
  loginUrl: loginUrl(),
});

function withVersion(config) {
  const v = version();
  return v ? { ...config, version: v } : config;
}

async function oauth2Connection() {
  const conn = new jsforce.Connection(withVersion({ oauth2: oauth2() }));
  await conn.login(username(), passwordWithToken());
  return conn;
}

function errorInfo(err) {
  if (!err || typeof err !== 'object') return { message: String(err) };
  const out = { name: err.name, message: err.message };
  if (err.errorCode !== undefined) out.errorCode = err.errorCode;
  if (err.data !== undefined) out.data = err.data;
  return out;
}

function soql(s) {
  return s.replace(/\s+/g, ' ').trim();
}

const cases = {
  // OAuth 2.0 username-password flow (conn.login with oauth2 client config).
  async oauth2_login() {
    const conn = new jsforce.Connection(withVersion({ oauth2: oauth2() }));
    const userInfo = await conn.login(username(), passwordWithToken());
    const res = await conn.query(
      soql(`SELECT Id, Username FROM User WHERE Username = '${username().replace(/'/g, "\\'")}'`),
    );
    return {
      userInfo,
      instanceUrl: conn.instanceUrl,
      accessToken: conn.accessToken,
      version: conn.version,
      query: { totalSize: res.totalSize, done: res.done, records: res.records },
    };
  },

  // Same flow with a wrong password: jsforce turns the token error into an Error.
  async oauth2_bad_password() {
    const conn = new jsforce.Connection(withVersion({ oauth2: oauth2() }));
    return { userInfo: await conn.login(username(), 'wrong-password' + env('SF_SECURITY_TOKEN', '')) };
  },

  // SOAP login() (no oauth2 client): POST {loginUrl}/services/Soap/u/{version}.
  async soap_login() {
    const conn = new jsforce.Connection(withVersion({ loginUrl: loginUrl() }));
    const userInfo = await conn.login(username(), passwordWithToken());
    const res = await conn.query(soql(`SELECT Id, Username FROM User WHERE Id = '${userInfo.id}'`));
    return {
      userInfo,
      instanceUrl: conn.instanceUrl,
      accessToken: conn.accessToken,
      version: conn.version,
      query: { totalSize: res.totalSize, done: res.done, records: res.records },
    };
  },

  async soap_bad_password() {
    const conn = new jsforce.Connection(withVersion({ loginUrl: loginUrl() }));
    return { userInfo: await conn.login(username(), 'wrong-password' + env('SF_SECURITY_TOKEN', '')) };
  },

  // Query paging two ways: jsforce's autoFetch (it follows nextRecordsUrl by
  // itself) and explicit queryMore calls with the locator URL.
  async query_paging() {
    const conn = await oauth2Connection();
    const headers = { 'Sforce-Query-Options': `batchSize=${env('SF_BATCH_SIZE', '200')}` };
    const q = 'SELECT Id, Username FROM User';

    let autoPages = 0;
    const auto = conn.query(q, { autoFetch: true, maxFetch: 100000, headers });
    auto.on('fetch', () => {
      autoPages += 1;
    });
    const autoRes = await auto;
    const autoIds = autoRes.records.map((r) => r.Id);

    const pages = [];
    let res = await conn.query(q, { headers });
    pages.push({ size: res.records.length, done: res.done, nextRecordsUrl: res.nextRecordsUrl ?? null });
    const manualIds = res.records.map((r) => r.Id);
    while (!res.done && res.nextRecordsUrl) {
      res = await conn.queryMore(res.nextRecordsUrl, { headers });
      pages.push({ size: res.records.length, done: res.done, nextRecordsUrl: res.nextRecordsUrl ?? null });
      manualIds.push(...res.records.map((r) => r.Id));
      if (pages.length > 1000) throw new Error('queryMore did not terminate');
    }
    return {
      totalSize: autoRes.totalSize,
      autoFetch: {
        records: autoIds.length,
        unique: new Set(autoIds).size,
        pages: autoPages,
        done: autoRes.done,
        usernames: autoRes.records.map((r) => r.Username),
      },
      queryMore: {
        records: manualIds.length,
        unique: new Set(manualIds).size,
        pages,
        totalSize: res.totalSize,
      },
      sampleRecord: autoRes.records[0] ?? null,
    };
  },

  // sobject('User').retrieve(id) and .update({Id, FirstName}).
  async sobject_retrieve_update() {
    const conn = await oauth2Connection();
    const id = conn.userInfo.id;
    const before = await conn.sobject('User').retrieve(id);
    const newName = `Compat${Date.now() % 100000}`;
    const update = await conn.sobject('User').update({ Id: id, FirstName: newName });
    const after = await conn.sobject('User').retrieve(id);
    return {
      id,
      newName,
      before: { Id: before.Id, Username: before.Username, FirstName: before.FirstName, attributes: before.attributes },
      update,
      after: { Id: after.Id, Username: after.Username, FirstName: after.FirstName },
    };
  },

  // conn.identity(): GET <id url>?format=json&oauth_token=...
  async identity() {
    const conn = await oauth2Connection();
    const idInfo = await conn.identity();
    return { userInfo: conn.userInfo, identity: idInfo };
  },

  // conn.limits() plus the Sforce-Limit-Info header jsforce parses into conn.limitInfo.
  async limits() {
    const conn = await oauth2Connection();
    const limits = await conn.limits();
    return { limits, limitInfo: conn.limitInfo };
  },

  // A Connection whose access token the server no longer accepts but which has
  // a refresh token and oauth2 client config: jsforce must get 401
  // INVALID_SESSION_ID, refresh, emit 'refresh' and retry transparently.
  async refresh() {
    const stale = env('SF_STALE_TOKEN');
    const conn = new jsforce.Connection(
      withVersion({
        oauth2: oauth2(),
        instanceUrl: loginUrl(),
        accessToken: stale,
        refreshToken: env('SF_REFRESH_TOKEN'),
      }),
    );
    const refreshes = [];
    conn.on('refresh', (accessToken, res) => {
      refreshes.push({ accessToken, response: res });
    });
    const res = await conn.query(
      soql(`SELECT Id, Username FROM User WHERE Username = '${username().replace(/'/g, "\\'")}'`),
    );
    return {
      refreshes,
      accessTokenChanged: conn.accessToken !== stale,
      accessToken: conn.accessToken,
      query: { totalSize: res.totalSize, done: res.done, records: res.records },
    };
  },

  // Composite API through conn.requestPost, with a reference between
  // subrequests, plus jsforce's SObject-collection retrieve (composite/sobjects).
  async composite() {
    const conn = await oauth2Connection();
    const id = conn.userInfo.id;
    const base = `/services/data/v${conn.version}`;
    const newName = `Comp${Date.now() % 100000}`;
    const body = {
      allOrNone: false,
      compositeRequest: [
        { method: 'GET', url: `${base}/sobjects/User/${id}?fields=Id,Username,FirstName`, referenceId: 'me' },
        { method: 'PATCH', url: `${base}/sobjects/User/@{me.Id}`, referenceId: 'upd', body: { FirstName: newName } },
        {
          method: 'GET',
          url: `${base}/query?q=${encodeURIComponent(`SELECT Id, FirstName FROM User WHERE Id = '${id}'`)}`,
          referenceId: 'check',
        },
      ],
    };
    const res = await conn.requestPost(`${base}/composite`, body);
    const many = await conn.retrieve('User', [id], { fields: ['Id', 'Username'] });
    return { id, newName, composite: res, retrieveMany: many };
  },

  // Every flow below is written from Salesforce's REST API documentation,
  // not from the emulator's code.

  // An update of fields that Salesforce stores (Title, Department, Phone,
  // MobilePhone) must read back through retrieve and query; an unknown field
  // must be refused with INVALID_FIELD.
  async field_roundtrip() {
    const conn = await oauth2Connection();
    const id = conn.userInfo.id;
    const values = { Title: 'Integration Owner', Department: 'IT', Phone: '+1 555 0100', MobilePhone: '+1 555 0101' };
    const update = await conn.sobject('User').update({ Id: id, ...values });
    const retrieved = await conn.sobject('User').retrieve(id);
    const queried = await conn.query(`SELECT Title, Department, Phone, MobilePhone FROM User WHERE Id = '${id}'`);
    let unknown = null;
    try {
      await conn.sobject('User').update({ Id: id, Frobnicate__x: 'a' });
    } catch (err) {
      unknown = errorInfo(err);
    }
    const pick = (r) => Object.fromEntries(Object.keys(values).map((k) => [k, r[k] ?? null]));
    return { values, update, retrieved: pick(retrieved), queried: pick(queried.records[0]), unknown };
  },

  // describeGlobal key prefixes and describe field metadata.
  async describe() {
    const conn = await oauth2Connection();
    const global = await conn.describeGlobal();
    const prefixes = Object.fromEntries(global.sobjects.map((o) => [o.name, o.keyPrefix]));
    const pickFields = (d, names) =>
      Object.fromEntries(
        d.fields
          .filter((f) => names.includes(f.name))
          .map((f) => [
            f.name,
            {
              type: f.type,
              length: f.length,
              nillable: f.nillable,
              createable: f.createable,
              updateable: f.updateable,
              referenceTo: f.referenceTo,
              relationshipName: f.relationshipName,
              picklistValues: (f.picklistValues || []).length,
            },
          ]),
      );
    const user = await conn.sobject('User').describe();
    const account = await conn.sobject('Account').describe();
    const opp = await conn.sobject('Opportunity').describe();
    return {
      prefixes,
      user: pickFields(user, ['Id', 'Email', 'Phone', 'Title', 'IsActive', 'Name', 'ProfileId', 'ManagerId', 'UserRoleId', 'CreatedDate']),
      account: pickFields(account, ['Name', 'Website', 'Industry', 'NumberOfEmployees']),
      opportunity: pickFields(opp, ['StageName', 'CloseDate', 'Amount']),
    };
  },

  // Standard lookups of User in SOQL paths; an unknown relationship fails.
  async relationship_query() {
    const conn = await oauth2Connection();
    const id = conn.userInfo.id;
    const role = await conn.sobject('UserRole').create({ Name: 'Compat Role' });
    const other = await conn.query(`SELECT Id FROM User WHERE Username = '${env('SF_OTHER_USERNAME')}'`);
    await conn.sobject('User').update({ Id: id, ManagerId: other.records[0].Id, UserRoleId: role.id });
    const res = await conn.query(
      `SELECT Id, Manager.Username, UserRole.Name, Profile.Name, CreatedBy.Username, LastModifiedBy.Username FROM User WHERE Id = '${id}'`,
    );
    let unknown = null;
    try {
      await conn.query('SELECT Boss.Name FROM User');
    } catch (err) {
      unknown = errorInfo(err);
    }
    const r = res.records[0];
    return {
      manager: r.Manager && r.Manager.Username,
      role: r.UserRole && r.UserRole.Name,
      profile: r.Profile && r.Profile.Name,
      createdBy: r.CreatedBy && r.CreatedBy.Username,
      lastModifiedBy: r.LastModifiedBy && r.LastModifiedBy.Username,
      unknown,
    };
  },

  // Creating a Contact without LastName fails with REQUIRED_FIELD_MISSING.
  async required_field() {
    const conn = await oauth2Connection();
    const out = {};
    for (const [object, record] of [
      ['Contact', { FirstName: 'Ada' }],
      ['Account', { Phone: '+1 555 0100' }],
      ['Opportunity', { Name: 'Deal' }],
    ]) {
      try {
        out[object] = { created: await conn.sobject(object).create(record) };
      } catch (err) {
        out[object] = errorInfo(err);
      }
    }
    return out;
  },

  // A deleted record is in the recycle bin: queryAll sees it, query does not.
  async query_all_deleted() {
    const conn = await oauth2Connection();
    const name = `Deleted ${Date.now()}`;
    const created = await conn.sobject('Account').create({ Name: name });
    await conn.sobject('Account').destroy(created.id);
    const soql = `SELECT Id, IsDeleted FROM Account WHERE Name = '${name}'`;
    const live = await conn.query(soql);
    const all = await conn.query(soql, { scanAll: true }); // GET .../queryAll
    return { id: created.id, query: live.records, queryAll: all.records };
  },

  // Tooling API query: ApexClass and the tooling view of users.
  async tooling_query() {
    const conn = await oauth2Connection();
    const classes = await conn.tooling.query('SELECT Id, Name, ApiVersion, Status FROM ApexClass');
    const users = await conn.tooling.query(`SELECT Id, Username FROM User WHERE Username = '${username()}'`);
    return { classes, users };
  },

  // allOrNone: a failing subrequest rolls back the ones before it, through
  // /composite and through sObject collections.
  async composite_rollback() {
    const conn = await oauth2Connection();
    const base = `/services/data/v${conn.version}`;
    const name = `Rollback ${Date.now()}`;
    const composite = await conn.requestPost(`${base}/composite`, {
      allOrNone: true,
      compositeRequest: [
        { method: 'POST', url: `${base}/sobjects/Account`, referenceId: 'acct', body: { Name: name } },
        { method: 'POST', url: `${base}/sobjects/Contact`, referenceId: 'bad', body: { FirstName: 'NoLast', AccountId: '@{acct.id}' } },
      ],
    });
    const collection = await conn
      .sobject('Account')
      .create([{ Name: `${name} collection` }, { Phone: '+1 555 0100' }], { allOrNone: true });
    const left = await conn.query(`SELECT Id FROM Account WHERE Name LIKE 'Rollback%'`);
    return { composite, collection, left: left.totalSize };
  },
};

const name = process.argv[2];
if (!name || !cases[name]) {
  process.stdout.write(
    JSON.stringify({ case: name ?? null, ok: false, error: { message: `unknown case; one of ${Object.keys(cases).join(', ')}` } }) + '\n',
  );
  process.exit(2);
}

try {
  const result = await cases[name]();
  process.stdout.write(JSON.stringify({ case: name, ok: true, result }) + '\n');
} catch (err) {
  process.stdout.write(JSON.stringify({ case: name, ok: false, error: errorInfo(err) }) + '\n');
}
