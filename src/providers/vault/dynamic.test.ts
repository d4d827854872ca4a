import { FakeClock } from '../../kube/clock.js';
import {
  errorFromHttpStatus,
  InvalidRefError,
  UnauthorizedError,
  UnavailableError,
  type ErrorSubject,
} from '../errors.js';
import { silentLogger } from '../types.js';
import type { VaultRequest, VaultRequester } from './api.js';
import { VaultProviderClient } from './client.js';
import { issuePath, parseIssued, parseLease } from './dynamic.js';
import type { VaultOperation } from './index.js';
import { VaultSession } from './session.js';

const NOW = Date.parse('2026-03-01T00:00:00Z');
const subject: ErrorSubject = { provider: 'SecretProvider payments/vault', path: 'pki/issue/web' };
const text = (value: Buffer | undefined): string | undefined => value?.toString('utf8');

/** Answers each request with the next queued body (or error), recording what was asked. */
class ScriptedVault implements VaultRequester {
  readonly provider = 'SecretProvider payments/vault';
  readonly calls: Array<{ operation: VaultOperation; request: VaultRequest }> = [];
  readonly answers: unknown[] = [];
  subject(path: string): ErrorSubject {
    return { provider: this.provider, path: path.replace(/\?.*$/, '') };
  }
  request(operation: VaultOperation, request: VaultRequest): Promise<unknown> {
    this.calls.push({ operation, request });
    const answer = this.answers.shift();
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  }
  close(): void {}
}

function client(vault: ScriptedVault): VaultProviderClient {
  const clock = new FakeClock(NOW);
  const session = new VaultSession({
    auth: { method: 'token', login: () => Promise.resolve({ token: 't', ttlSeconds: 0, renewable: false }) },
    api: vault,
    clock,
    logger: silentLogger,
    provider: vault.provider,
  });
  return new VaultProviderClient(vault, session, { mount: 'secret', kvVersion: 2 }, clock);
}

const signal = (): AbortSignal => new AbortController().signal;

describe('issuePath', () => {
  test.each([
    ['POST keeps parameters for the body', 'POST', { common_name: 'a' }, 'pki/issue/web'],
    ['GET without parameters', 'GET', {}, 'pki/issue/web'],
    ['GET puts parameters in the query', 'GET', { ttl: '1h', name: 'a b' }, 'pki/issue/web?ttl=1h&name=a+b'],
  ] as const)('%s', (_case, method, parameters, expected) => {
    expect(issuePath({ path: '/pki/issue/web/', method, parameters }, subject)).toBe(expected);
  });

  test('segments are encoded; traversal is refused', () => {
    expect(issuePath({ path: 'db/creds/a:b', method: 'GET', parameters: {} }, subject)).toBe(
      'db/creds/a%3Ab',
    );
    expect(() => issuePath({ path: 'pki/../sys/raw', method: 'GET', parameters: {} }, subject)).toThrow(
      InvalidRefError,
    );
  });
});

describe('parseIssued', () => {
  test('a PKI certificate without a lease expires at data.expiration; nulls are left out', () => {
    const issued = parseIssued(
      {
        lease_id: '',
        lease_duration: 0,
        renewable: false,
        data: {
          certificate: 'CERT',
          private_key: 'KEY',
          ca_chain: ['CA1', 'CA2'],
          serial_number: '01:02',
          expiration: NOW / 1000 + 30,
          not_there: null,
        },
      },
      subject,
      NOW,
    );
    expect(issued.lease).toBeUndefined();
    expect(issued.expiresAt).toEqual(new Date(NOW + 30_000));
    expect([...issued.values.keys()]).toEqual([
      'certificate',
      'private_key',
      'ca_chain',
      'serial_number',
      'expiration',
    ]);
    expect(text(issued.values.get('ca_chain'))).toBe('["CA1","CA2"]');
    expect(text(issued.values.get('expiration'))).toBe(String(NOW / 1000 + 30));
  });

  test('a lease with an id is kept and ends the validity; the earliest end wins', () => {
    const leased = parseIssued(
      { lease_id: 'rabbitmq/creds/app/abc', lease_duration: 10, renewable: true, data: { username: 'u' } },
      subject,
      NOW,
    );
    expect(leased.lease).toEqual({ id: 'rabbitmq/creds/app/abc', durationSeconds: 10, renewable: true });
    expect(leased.expiresAt).toEqual(new Date(NOW + 10_000));

    const both = parseIssued(
      { lease_id: 'pki/issue/web/x', lease_duration: 60, data: { expiration: NOW / 1000 + 30 } },
      subject,
      NOW,
    );
    expect(both.lease?.renewable).toBe(false);
    expect(both.expiresAt).toEqual(new Date(NOW + 30_000));
  });

  test('no lifetime at all: no lease, no expiry', () => {
    const issued = parseIssued({ data: { otp: '123' } }, subject, NOW);
    expect(issued.lease).toBeUndefined();
    expect(issued.expiresAt).toBeUndefined();
  });

  test('a response without data is Unavailable, naming the path only', () => {
    expect(() => parseIssued({ warnings: ['x'] }, subject, NOW)).toThrow(UnavailableError);
    expect(() => parseIssued(undefined, subject, NOW)).toThrow(
      /the response carries no data \(path "pki\/issue\/web"\)/,
    );
  });
});

describe('parseLease', () => {
  test('the granted lease, or Unavailable', () => {
    expect(parseLease({ lease_id: 'l', lease_duration: 4, renewable: true }, subject)).toEqual({
      id: 'l',
      durationSeconds: 4,
      renewable: true,
    });
    expect(() => parseLease({ data: null }, subject)).toThrow(UnavailableError);
  });
});

describe('VaultProviderClient dynamic secrets', () => {
  test('issue: a POST sends the parameters as the body, with the token, counted as issue', async () => {
    const vault = new ScriptedVault();
    vault.answers.push({ lease_id: '', data: { certificate: 'C', expiration: NOW / 1000 + 60 } });
    const issued = await client(vault).issue(
      { path: 'pki/issue/web', method: 'POST', parameters: { common_name: 'web.example', ttl: '60s' } },
      signal(),
    );
    expect(vault.calls).toEqual([
      {
        operation: 'issue',
        request: {
          method: 'POST',
          path: 'pki/issue/web',
          token: 't',
          body: { common_name: 'web.example', ttl: '60s' },
        },
      },
    ]);
    expect(issued.expiresAt).toEqual(new Date(NOW + 60_000));
  });

  test('issue: a GET sends no body', async () => {
    const vault = new ScriptedVault();
    vault.answers.push({ lease_id: 'db/creds/app/1', lease_duration: 30, renewable: true, data: { u: 'x' } });
    await client(vault).issue({ path: 'db/creds/app', method: 'GET', parameters: {} }, signal());
    expect(vault.calls[0]).toEqual({
      operation: 'issue',
      request: { method: 'GET', path: 'db/creds/app', token: 't' },
    });
  });

  test('renewLease and revokeLease go to sys/leases with the lease id in the body', async () => {
    const vault = new ScriptedVault();
    vault.answers.push({ lease_id: 'db/creds/app/1', lease_duration: 20, renewable: true }, undefined);
    const vaultClient = client(vault);
    expect(await vaultClient.renewLease('db/creds/app/1', 30, signal())).toEqual({
      id: 'db/creds/app/1',
      durationSeconds: 20,
      renewable: true,
    });
    await vaultClient.revokeLease('db/creds/app/1', signal());
    expect(vault.calls).toEqual([
      {
        operation: 'renew_lease',
        request: {
          method: 'POST',
          path: 'sys/leases/renew',
          token: 't',
          body: { lease_id: 'db/creds/app/1', increment: 30 },
        },
      },
      {
        operation: 'revoke_lease',
        request: {
          method: 'POST',
          path: 'sys/leases/revoke',
          token: 't',
          body: { lease_id: 'db/creds/app/1' },
        },
      },
    ]);
  });

  test('a refused issue is a typed error naming the path', async () => {
    const vault = new ScriptedVault();
    vault.answers.push(errorFromHttpStatus({ status: 403 }, vault.subject('pki/issue/web')));
    // The token itself is fine (lookup-self answers), so the policy denies the path.
    vault.answers.push({ data: { ttl: 0 } });
    const issuing = client(vault).issue({ path: 'pki/issue/web', method: 'POST', parameters: {} }, signal());
    await expect(issuing).rejects.toThrow(UnauthorizedError);
    await expect(issuing).rejects.toThrow('(path "pki/issue/web")');
  });
});
