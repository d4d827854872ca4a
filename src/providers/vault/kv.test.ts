import { InvalidRefError, NotFoundError, UnavailableError } from '../errors.js';
import { kvReadPath, kvWritePath, parseKvRead } from './kv.js';

const subject = { provider: 'p' };
const v2 = { mount: 'secret', kvVersion: 2 as const };
const v1 = { mount: 'kv/team', kvVersion: 1 as const };

describe('KV paths', () => {
  test('v2 reads go through data/, with an optional version', () => {
    expect(kvReadPath(v2, { path: 'payments/db' }, subject)).toBe('secret/data/payments/db');
    expect(kvReadPath(v2, { path: '/payments/db/', version: '3' }, subject)).toBe(
      'secret/data/payments/db?version=3',
    );
    expect(kvWritePath(v2, { path: 'payments/db' }, subject)).toBe('secret/data/payments/db');
  });

  test('v1 reads the path directly and has no versions', () => {
    expect(kvReadPath(v1, { path: 'db' }, subject)).toBe('kv/team/db');
    expect(() => kvReadPath(v1, { path: 'db', version: '1' }, subject)).toThrow(InvalidRefError);
  });

  test('segments are URL-encoded; traversal and queries are refused', () => {
    expect(kvReadPath(v2, { path: 'team a/db%1' }, subject)).toBe('secret/data/team%20a/db%251');
    for (const path of ['', '/', '../sys/mounts', 'a/./b', 'a//b', 'a?list=true', 'a#b', 'a\nb', 'a\\b']) {
      expect(() => kvReadPath(v2, { path }, subject)).toThrow(InvalidRefError);
    }
  });

  test('versions must be positive integers; writes cannot pin one', () => {
    for (const version of ['0', '-1', '1.5', 'latest', '01', '']) {
      expect(() => kvReadPath(v2, { path: 'a', version }, subject)).toThrow(InvalidRefError);
    }
    expect(() => kvWritePath(v2, { path: 'a', version: '1' }, subject)).toThrow(InvalidRefError);
  });
});

describe('parseKvRead', () => {
  test('v2 data and version', () => {
    const body = {
      data: { data: { a: 'b' }, metadata: { version: 4, deletion_time: '', destroyed: false } },
    };
    expect(parseKvRead(v2, body, subject)).toEqual({ data: { a: 'b' }, version: '4' });
  });

  test('v2 deleted or destroyed versions read as NotFound', () => {
    const deleted = { data: { data: null, metadata: { version: 2, deletion_time: '2026-01-01T00:00:00Z' } } };
    expect(() => parseKvRead(v2, deleted, subject)).toThrow(NotFoundError);
    const destroyed = { data: { data: null, metadata: { version: 2, deletion_time: '', destroyed: true } } };
    expect(() => parseKvRead(v2, destroyed, subject)).toThrow(NotFoundError);
  });

  test('v1 data', () => {
    expect(parseKvRead(v1, { data: { a: 1 }, lease_duration: 2764800 }, subject)).toEqual({ data: { a: 1 } });
  });

  test('unexpected bodies are Unavailable', () => {
    expect(() => parseKvRead(v2, undefined, subject)).toThrow(UnavailableError);
    expect(() => parseKvRead(v2, { data: { data: 'x', metadata: {} } }, subject)).toThrow(UnavailableError);
    expect(() => parseKvRead(v1, { data: [] }, subject)).toThrow(UnavailableError);
  });
});
