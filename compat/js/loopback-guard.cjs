'use strict';
// Preloaded (node --require / NODE_OPTIONS) into every real client the compat
// tests run. It does not change the clients: it only refuses TCP connections
// and DNS look-ups for anything but loopback, so that a client falling back to
// its built-in defaults (https://login.salesforce.com, telemetry, update
// checks, ...) fails locally instead of leaving the machine. Every refusal is
// written to stderr and, when WARDEN_GUARD_LOG is set, appended to that file
// so the Go test can report it.
const net = require('node:net');
const dns = require('node:dns');
const fs = require('node:fs');
const util = require('node:util');

const guardLog = process.env.WARDEN_GUARD_LOG;

function isLoopback(host) {
  if (host === undefined || host === null || host === '') return true; // defaults to localhost
  let h = String(host).toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (h.startsWith('::ffff:')) h = h.slice(7);
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function report(what, host) {
  const line = `loopback-guard: blocked ${what} to ${host} (pid ${process.pid})`;
  try {
    process.stderr.write(line + '\n');
  } catch {
    // ignore
  }
  if (guardLog) {
    try {
      fs.appendFileSync(guardLog, line + '\n');
    } catch {
      // ignore
    }
  }
}

function blockedError(host) {
  const err = new Error(`loopback-guard: connection to ${host} refused (only loopback is allowed in compat tests)`);
  err.code = 'ECONNREFUSED';
  return err;
}

const origConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  let opts;
  if (Array.isArray(args[0])) opts = args[0][0];
  else if (args[0] !== null && typeof args[0] === 'object') opts = args[0];
  else if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0])))
    opts = { port: args[0], host: typeof args[1] === 'string' ? args[1] : undefined };
  else if (typeof args[0] === 'string') opts = { path: args[0] };
  else opts = {};
  if (!opts.path && !isLoopback(opts.host)) {
    report('connect', `${opts.host}:${opts.port}`);
    process.nextTick(() => this.destroy(blockedError(opts.host)));
    return this;
  }
  return origConnect.apply(this, args);
};

const origLookup = dns.lookup;
dns.lookup = function guardedLookup(hostname, options, callback) {
  if (typeof options === 'function') {
    callback = options;
    options = {};
  }
  if (!isLoopback(hostname)) {
    report('dns lookup', hostname);
    const err = new Error(`getaddrinfo ENOTFOUND ${hostname} (loopback-guard)`);
    err.code = 'ENOTFOUND';
    err.hostname = hostname;
    process.nextTick(() => callback(err));
    return {};
  }
  return origLookup.call(this, hostname, options, callback);
};

const origPromiseLookup = dns.promises.lookup;
async function guardedPromiseLookup(hostname, options) {
  if (!isLoopback(hostname)) {
    report('dns lookup', hostname);
    const err = new Error(`getaddrinfo ENOTFOUND ${hostname} (loopback-guard)`);
    err.code = 'ENOTFOUND';
    err.hostname = hostname;
    throw err;
  }
  return origPromiseLookup.call(dns.promises, hostname, options);
}
dns.promises.lookup = guardedPromiseLookup;
// util.promisify(dns.lookup) must still resolve to {address, family}, as it
// does for the original (which carries an internal marker for that).
Object.defineProperty(dns.lookup, util.promisify.custom, {
  value: (hostname, options) => guardedPromiseLookup(hostname, options),
});
