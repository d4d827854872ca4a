// Test-only preload: resolves `localhost` and every `*.localhost` name to
// 127.0.0.1, as RFC 6761 says they are loopback names, because this machine's
// resolver (glibc, no systemd-resolved) does not. The Key Vault test server is
// served at https://<vault>.vault.localhost:<port> so that the Azure SDK's
// challenge-resource check (vault host must end with "." + the challenge
// resource's host) stays on; this makes those names reachable.
//
// Load it with `node --import <abs path>/e2e/support/localhost-resolver.mjs`
// (e2e/.run/env puts that in NODE_OPTIONS) or as a jest setup file. Plain JS
// so Node 20 (npm's own node) and Node 24 both load it. src/ never imports it.
//
// node:net (under node:https and undici's fetch) calls dns.lookup(host,
// {all: true, hints, family?}, cb) through the module object at call time, so
// replacing the property (and syncing ESM named exports) is enough.
import dns from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';
import process from 'node:process';

const MARK = Symbol.for('secretsource.localhostResolver');

function isLocalhost(hostname) {
  if (typeof hostname !== 'string') return false;
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

function familyOf(options) {
  const family = typeof options === 'number' ? options : options?.family;
  return family === 6 || family === 'IPv6' ? 6 : 4;
}

function answer(options) {
  const family = familyOf(options);
  return { address: family === 6 ? '::1' : '127.0.0.1', family };
}

if (!dns[MARK]) {
  const originalLookup = dns.lookup;
  const originalPromisesLookup = dns.promises.lookup;

  dns.lookup = function lookup(hostname, options, callback) {
    const cb = typeof options === 'function' ? options : callback;
    const opts = typeof options === 'function' ? undefined : options;
    if (!isLocalhost(hostname) || typeof cb !== 'function') return originalLookup.apply(this, arguments);
    const { address, family } = answer(opts);
    process.nextTick(() => (opts?.all ? cb(null, [{ address, family }]) : cb(null, address, family)));
    return {};
  };

  dns.promises.lookup = async function lookup(hostname, options) {
    if (!isLocalhost(hostname)) return originalPromisesLookup.call(this, hostname, options);
    const result = answer(options);
    return options?.all ? [result] : result;
  };

  Object.defineProperty(dns, MARK, { value: true });
  syncBuiltinESMExports();
}
