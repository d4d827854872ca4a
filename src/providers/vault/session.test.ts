import { FakeClock } from '../../kube/clock.js';
import { errorFromHttpStatus, UnauthorizedError, UnavailableError, type ErrorSubject } from '../errors.js';
import { silentLogger } from '../types.js';
import type { VaultRequest, VaultRequester } from './api.js';
import type { VaultAuthMethod, VaultToken } from './auth.js';
import { VaultSession } from './session.js';

type Handler = (request: VaultRequest) => unknown;

class FakeVault implements VaultRequester {
  readonly provider = 'ClusterSecretProvider vault-prod';
  readonly log: string[] = [];
  readonly handlers = new Map<string, Handler>();
  subject(path: string): ErrorSubject {
    return { provider: this.provider, path };
  }
  async request(operation: string, request: VaultRequest): Promise<unknown> {
    this.log.push(`${operation} ${request.token ?? '-'}`);
    const handler = this.handlers.get(operation);
    if (!handler) throw new Error(`no handler for ${operation}`);
    return handler(request);
  }
  close(): void {}
}

function httpError(status: number, path = 'p'): Error {
  return errorFromHttpStatus({ status }, { provider: 'p', path });
}

function setup(logins: Array<Partial<VaultToken>>) {
  const clock = new FakeClock(0);
  const vault = new FakeVault();
  let count = 0;
  const auth: VaultAuthMethod = {
    method: 'appRole',
    login: () => {
      const next = logins[Math.min(count, logins.length - 1)]!;
      count++;
      vault.log.push(`login`);
      return Promise.resolve({ token: `t${count}`, ttlSeconds: 60, renewable: true, ...next });
    },
  };
  const session = new VaultSession({
    auth,
    api: vault,
    clock,
    logger: silentLogger,
    provider: vault.provider,
  });
  return { clock, vault, session, logins: () => count };
}

const signal = (): AbortSignal => new AbortController().signal;

// The refresh timing, single flight, pauses after failures and close() are RefreshingCredential's
// (../refreshing-credential.test.ts); these are Vault's own: what a refresh fetches, and 403s.
describe('VaultSession', () => {
  test('a renewable token is renewed at 2/3 of its TTL, by a timer, without new logins', async () => {
    const { session, vault, clock, logins } = setup([{ ttlSeconds: 60 }]);
    vault.handlers.set('renew', () => ({
      auth: { client_token: 't1', lease_duration: 60, renewable: true },
    }));
    await session.token(signal());
    await clock.advanceAsync(39_000);
    expect(vault.log).toEqual(['login']);
    await clock.advanceAsync(1_000);
    expect(vault.log).toEqual(['login', 'renew t1']);
    await clock.advanceAsync(40_000);
    expect(vault.log).toEqual(['login', 'renew t1', 'renew t1']);
    expect(await session.token(signal())).toBe('t1');
    expect(logins()).toBe(1);
    session.close();
    expect(clock.pendingTimers()).toBe(0);
  });

  test('a renewal Vault rejects falls back to a login', async () => {
    const { session, vault, clock } = setup([{ ttlSeconds: 60 }, { ttlSeconds: 60 }]);
    vault.handlers.set('renew', () => {
      throw httpError(403, 'auth/token/renew-self');
    });
    await session.token(signal());
    await clock.advanceAsync(40_000);
    expect(vault.log).toEqual(['login', 'renew t1', 'login']);
    expect(await session.token(signal())).toBe('t2');
    session.close();
  });

  test('a token that cannot be renewed is replaced by a login at 2/3 of its TTL', async () => {
    const { session, vault, clock } = setup([{ ttlSeconds: 30, renewable: false }]);
    await session.token(signal());
    await clock.advanceAsync(20_000);
    expect(vault.log).toEqual(['login', 'login']);
    expect(await session.token(signal())).toBe('t2');
    session.close();
  });

  test('a renewal capped by the max TTL makes the next refresh a login', async () => {
    const { session, vault, clock } = setup([{ ttlSeconds: 60 }]);
    vault.handlers.set('renew', () => ({
      auth: { client_token: 't1', lease_duration: 20, renewable: true },
    }));
    await session.token(signal());
    await clock.advanceAsync(40_000);
    expect(vault.log).toEqual(['login', 'renew t1']);
    await clock.advanceAsync(14_000);
    expect(vault.log).toEqual(['login', 'renew t1', 'login']);
    expect(await session.token(signal())).toBe('t2');
    session.close();
  });

  test('a token that never expires (root) is never refreshed', async () => {
    const { session, vault, clock } = setup([{ ttlSeconds: 0, renewable: false }]);
    await session.token(signal());
    expect(clock.pendingTimers()).toBe(0);
    await clock.advanceAsync(365 * 24 * 3600_000);
    expect(await session.token(signal())).toBe('t1');
    expect(vault.log).toEqual(['login']);
  });

  test('a failed renewal keeps the token and tries again later', async () => {
    const { session, vault, clock } = setup([{ ttlSeconds: 60 }]);
    let fail = true;
    vault.handlers.set('renew', () => {
      if (fail) throw new UnavailableError({ provider: 'p' });
      return { auth: { client_token: 't1', lease_duration: 60, renewable: true } };
    });
    await session.token(signal());
    await clock.advanceAsync(40_000);
    expect(vault.log).toEqual(['login', 'renew t1']);
    expect(await session.token(signal())).toBe('t1');
    fail = false;
    // 20 s left, retried after a third of that.
    await clock.advanceAsync(6_667);
    expect(vault.log).toEqual(['login', 'renew t1', 'renew t1']);
    session.close();
  });

  test('an expired token (refresh failed meanwhile) is replaced before use', async () => {
    const { session, vault, clock } = setup([{ ttlSeconds: 60 }, { ttlSeconds: 60 }]);
    vault.handlers.set('renew', () => {
      throw httpError(503);
    });
    await session.token(signal());
    await clock.advanceAsync(61_000);
    expect(await session.token(signal())).toBe('t2');
    session.close();
    expect(clock.pendingTimers()).toBe(0);
  });

  test('a dead token on a call: log in again and retry once', async () => {
    const { session, vault } = setup([{}, {}]);
    vault.handlers.set('lookup', (request) => {
      if (request.token === 't1') throw httpError(403, 'auth/token/lookup-self');
      return { data: { ttl: 60, renewable: true } };
    });
    const used: string[] = [];
    const result = await session.withToken(signal(), async (token) => {
      used.push(token);
      if (token === 't1') throw new UnauthorizedError({ provider: 'p', path: 'secret/data/x' });
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(used).toEqual(['t1', 't2']);
    expect(vault.log).toEqual(['login', 'lookup t1', 'login']);
    session.close();
  });

  test('a path the policy denies: the token is fine, no new login', async () => {
    const { session, vault } = setup([{}]);
    vault.handlers.set('lookup', () => ({ data: { ttl: 60, renewable: true } }));
    const denied = new UnauthorizedError({ provider: 'p', path: 'secret/data/other' });
    await expect(session.withToken(signal(), () => Promise.reject(denied))).rejects.toBe(denied);
    expect(vault.log).toEqual(['login', 'lookup t1']);
    session.close();
  });

  test('concurrent 403s probe the token once and share the new login', async () => {
    const { session, vault } = setup([{}, {}]);
    vault.handlers.set('lookup', () => {
      throw httpError(403);
    });
    const call = (token: string) =>
      token === 't1' ? Promise.reject(new UnauthorizedError({ provider: 'p' })) : Promise.resolve(token);
    const results = await Promise.all([1, 2, 3, 4].map(() => session.withToken(signal(), call)));
    expect(results).toEqual(['t2', 't2', 't2', 't2']);
    expect(vault.log.filter((entry) => entry === 'login')).toHaveLength(2);
    expect(vault.log.filter((entry) => entry.startsWith('lookup'))).toHaveLength(1);
    session.close();
  });

  test('validate() is an authenticated lookup-self', async () => {
    const { session, vault } = setup([{}]);
    vault.handlers.set('lookup', () => ({ data: { ttl: 60, renewable: true } }));
    await session.validate(signal());
    expect(vault.log).toEqual(['login', 'lookup t1']);
    session.close();
  });
});
