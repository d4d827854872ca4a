import { InvalidRefError } from '../errors.js';
import { isCurrent, secretIdMatches, secretIdOf, versionSelector } from './refs.js';

const subject = { provider: 'p', path: 'db' };

describe('versionSelector', () => {
  test.each([
    [undefined, { stage: 'AWSCURRENT' }],
    ['', { stage: 'AWSCURRENT' }],
    ['AWSPREVIOUS', { stage: 'AWSPREVIOUS' }],
    ['blue', { stage: 'blue' }],
    ['0b3b9a1c-2d4e-4f60-8a7b-9c0d1e2f3a4b', { versionId: '0b3b9a1c-2d4e-4f60-8a7b-9c0d1e2f3a4b' }],
    [`versionId:${'x'.repeat(40)}`, { versionId: 'x'.repeat(40) }],
    ['stage:0b3b9a1c-2d4e-4f60-8a7b-9c0d1e2f3a4b', { stage: '0b3b9a1c-2d4e-4f60-8a7b-9c0d1e2f3a4b' }],
  ])('%s → %j', (version, expected) => {
    expect(versionSelector(version, subject)).toEqual(expected);
  });

  test.each(['versionId:short', 'stage:', 'has space'])('rejects %s', (version) => {
    expect(() => versionSelector(version, subject)).toThrow(InvalidRefError);
  });

  test('only AWSCURRENT is current', () => {
    expect(isCurrent({ stage: 'AWSCURRENT' })).toBe(true);
    expect(isCurrent({ stage: 'AWSPREVIOUS' })).toBe(false);
    expect(isCurrent({ versionId: 'x' })).toBe(false);
  });
});

describe('secretIdOf', () => {
  test('names and ARNs pass; empty, spaces and control characters do not', () => {
    expect(secretIdOf('payments/db', subject)).toBe('payments/db');
    expect(() => secretIdOf('', subject)).toThrow(InvalidRefError);
    expect(() => secretIdOf('a b', subject)).toThrow(InvalidRefError);
    expect(() => secretIdOf('a\nb', subject)).toThrow(InvalidRefError);
  });
});

describe('secretIdMatches', () => {
  const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:payments/db-AbCdEf';
  const secret = { name: 'payments/db', arn };
  test('name, full ARN and partial ARN match; other names do not', () => {
    expect(secretIdMatches('payments/db', secret)).toBe(true);
    expect(secretIdMatches(arn, secret)).toBe(true);
    expect(secretIdMatches('arn:aws:secretsmanager:eu-west-1:123456789012:secret:payments/db', secret)).toBe(
      true,
    );
    expect(secretIdMatches('payments/d', secret)).toBe(false);
    expect(secretIdMatches('arn:aws:secretsmanager:eu-west-1:123456789012:secret:payments', secret)).toBe(
      false,
    );
  });
});
