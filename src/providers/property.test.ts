import { InvalidRefError, NotFoundError } from './errors.js';
import {
  encodeEntry,
  lookupProperty,
  parseDocument,
  propertyOf,
  selectProperty,
  valueMap,
} from './property.js';

const subject = { provider: 'test', path: 'app/db' };

describe('lookupProperty', () => {
  const document = {
    plain: 'x',
    'dotted.key': 'exact',
    nested: { deep: { value: 7 }, 'a.b': 'split' },
    list: [{ name: 'first' }, 'second'],
  };

  test('exact keys win, even with dots', () => {
    expect(lookupProperty(document, 'dotted.key')).toEqual({ found: true, value: 'exact' });
  });

  test('dotted paths reach nested objects, arrays and dotted keys below', () => {
    expect(lookupProperty(document, 'nested.deep.value')).toEqual({ found: true, value: 7 });
    expect(lookupProperty(document, 'nested.a.b')).toEqual({ found: true, value: 'split' });
    expect(lookupProperty(document, 'list.0.name')).toEqual({ found: true, value: 'first' });
    expect(lookupProperty(document, 'list.1')).toEqual({ found: true, value: 'second' });
  });

  test('missing entries are not found', () => {
    expect(lookupProperty(document, 'nope').found).toBe(false);
    expect(lookupProperty(document, 'plain.deeper').found).toBe(false);
    expect(lookupProperty(document, 'list.5').found).toBe(false);
  });
});

describe('selectProperty and encoding', () => {
  test('strings stay as they are, other values are JSON', () => {
    const document = { s: 'text', n: 5, b: true, o: { k: 'v' }, z: null };
    expect(selectProperty(document, 's', subject).toString()).toBe('text');
    expect(selectProperty(document, 'n', subject).toString()).toBe('5');
    expect(selectProperty(document, 'b', subject).toString()).toBe('true');
    expect(selectProperty(document, 'o', subject).toString()).toBe('{"k":"v"}');
    expect(selectProperty(document, 'z', subject).toString()).toBe('null');
    expect(encodeEntry('ü').equals(Buffer.from('ü', 'utf8'))).toBe(true);
  });

  test('a missing property is NotFound, an empty one InvalidRef; messages hold no values', () => {
    const document = { password: 'hunter2' };
    expect(() => selectProperty(document, 'user', subject)).toThrow(NotFoundError);
    expect(() => selectProperty(document, '', subject)).toThrow(InvalidRefError);
    try {
      selectProperty(document, 'user', subject);
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
      expect((error as Error).message).toContain('"user"');
    }
  });
});

describe('documents and maps', () => {
  test('a value that is not a JSON object has no properties', () => {
    expect(() => parseDocument(Buffer.from('plain text'), subject)).toThrow(InvalidRefError);
    expect(() => parseDocument(Buffer.from('[1,2]'), subject)).toThrow(InvalidRefError);
    expect(() => parseDocument(Buffer.from('"s"'), subject)).toThrow(InvalidRefError);
  });

  test('propertyOf keeps version and lease', () => {
    const value = {
      value: Buffer.from('{"a":"1"}'),
      version: '3',
      lease: { id: 'l', durationSeconds: 5, renewable: true },
    };
    const selected = propertyOf(value, 'a', subject);
    expect(selected.value.toString()).toBe('1');
    expect(selected.version).toBe('3');
    expect(selected.lease).toEqual(value.lease);
  });

  test('valueMap expands every top-level key', () => {
    const map = valueMap({ value: Buffer.from('{"user":"app","port":5432,"tls":{"on":true}}') }, subject);
    expect([...map.entries()].map(([k, v]) => [k, v.toString()])).toEqual([
      ['user', 'app'],
      ['port', '5432'],
      ['tls', '{"on":true}'],
    ]);
  });
});
