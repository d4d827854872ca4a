import { randomBytes } from 'node:crypto';
import { decodeValue, strictBase64 } from './decoding.js';
import { SecretSpecError } from './errors.js';

const raw = randomBytes(33);
const ascii = (text: string): Buffer => Buffer.from(text, 'latin1');

test('None keeps the bytes as fetched', () => {
  expect(decodeValue(raw, 'None', 'data[0]').equals(raw)).toBe(true);
});

test('Base64 decodes standard base64, padded or not, and tolerates line breaks', () => {
  const encoded = raw.toString('base64');
  expect(decodeValue(ascii(encoded), 'Base64', 'data[0]').equals(raw)).toBe(true);
  expect(decodeValue(ascii(encoded.replace(/=+$/, '')), 'Base64', 'data[0]').equals(raw)).toBe(true);
  const wrapped = (encoded.match(/.{1,8}/g) ?? []).join('\r\n') + '\n';
  expect(decodeValue(ascii(wrapped), 'Base64', 'data[0]').equals(raw)).toBe(true);
});

test('Base64URL decodes the URL-safe alphabet', () => {
  const bytes = Buffer.from([0xfb, 0xff, 0xbf, ...randomBytes(7)]);
  expect(decodeValue(ascii(bytes.toString('base64url')), 'Base64URL', 'data[0]').equals(bytes)).toBe(true);
});

test('invalid base64 is an InvalidSpec error naming where, not the value', () => {
  const secret = `not*base64*${randomBytes(6).toString('hex')}`;
  const attempt = (): Buffer => decodeValue(ascii(secret), 'Base64', 'data[2] (key "token")');
  expect(attempt).toThrow(SecretSpecError);
  expect(attempt).toThrow('data[2] (key "token"): the value is not valid base64');
  try {
    attempt();
  } catch (error) {
    expect((error as Error).message.includes(secret)).toBe(false);
    expect((error as SecretSpecError).reason).toBe('InvalidSpec');
  }
});

test('Base64 refuses the URL alphabet and Base64URL the standard one', () => {
  expect(() => decodeValue(ascii('-_-_'), 'Base64', 'x')).toThrow(SecretSpecError);
  expect(() => decodeValue(ascii('+/+/'), 'Base64URL', 'x')).toThrow(SecretSpecError);
});

test('Auto decodes padded canonical base64 (either alphabet) and keeps anything else as fetched', () => {
  expect(decodeValue(ascii(raw.toString('base64')), 'Auto', 'x').equals(raw)).toBe(true);
  expect(decodeValue(ascii(raw.toString('base64url')), 'Auto', 'x').equals(raw)).toBe(true);
  expect(decodeValue(ascii('YWI='), 'Auto', 'x').toString()).toBe('ab');
  // The ambiguity Auto cannot avoid: a 4-character value that happens to be base64.
  expect(decodeValue(ascii('abcd'), 'Auto', 'x').length).toBe(3);
  for (const text of ['hello world', 'p@ss:word', 'abc', 'YWI', 'YWJj\n', 'YW=J']) {
    expect(decodeValue(ascii(text), 'Auto', 'x').equals(ascii(text))).toBe(true);
  }
});

test('strictBase64 refuses non-canonical encodings that Buffer.from would accept', () => {
  expect(strictBase64('YQ==', 'Base64')?.toString()).toBe('a');
  expect(strictBase64('YR==', 'Base64')).toBeUndefined(); // stray bits
  expect(strictBase64('Y', 'Base64')).toBeUndefined();
  expect(strictBase64('YQ=', 'Base64')).toBeUndefined(); // bad padding
  expect(strictBase64('YQ===', 'Base64')).toBeUndefined();
  expect(strictBase64('', 'Base64')?.length).toBe(0);
});
