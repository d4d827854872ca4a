// Documents, properties and maps: the one place that decides how a key/value document becomes bytes,
// how `property` selects an entry, and how `dataFrom` expands a document into keys (see types.ts).
import { InvalidRefError, NotFoundError, type ErrorSubject } from './errors.js';
import type { RemoteValue } from './types.js';

export type Document = Record<string, unknown>;

/** Strings as UTF-8 bytes; every other JSON value JSON-encoded. */
export function encodeEntry(value: unknown): Buffer {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');
}

export function encodeDocument(document: Document): Buffer {
  return Buffer.from(JSON.stringify(document), 'utf8');
}

export function isDocument(value: unknown): value is Document {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses a document; a value that is not a JSON object is an InvalidRefError. */
export function parseDocument(value: Buffer, subject: ErrorSubject): Document {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    throw new InvalidRefError(subject, 'the remote value is not a JSON object, so it has no properties');
  }
  if (!isDocument(parsed)) {
    throw new InvalidRefError(subject, 'the remote value is not a JSON object, so it has no properties');
  }
  return parsed;
}

/**
 * Looks `property` up in a document: the exact key first (keys may contain dots), then a dotted path
 * into nested objects and arrays, trying every split so `a.b.c` finds `{ "a.b": { c } }` too.
 */
export function lookupProperty(document: unknown, property: string): { found: boolean; value?: unknown } {
  if (Array.isArray(document)) {
    if (/^\d+$/.test(property) && Number(property) < document.length) {
      return { found: true, value: document[Number(property)] };
    }
  } else if (isDocument(document) && Object.hasOwn(document, property)) {
    return { found: true, value: document[property] };
  }
  if (typeof document !== 'object' || document === null) return { found: false };
  for (let dot = property.indexOf('.'); dot !== -1; dot = property.indexOf('.', dot + 1)) {
    const head = lookupProperty(document, property.slice(0, dot));
    if (head.found && typeof head.value === 'object' && head.value !== null) {
      const rest = lookupProperty(head.value, property.slice(dot + 1));
      if (rest.found) return rest;
    }
  }
  return { found: false };
}

/** The bytes of one property of a document; a missing property is a NotFoundError. */
export function selectProperty(document: Document, property: string, subject: ErrorSubject): Buffer {
  if (property === '') throw new InvalidRefError(subject, 'property must not be empty');
  const hit = lookupProperty(document, property);
  if (!hit.found) throw new NotFoundError(subject, `property "${property}" not found in the remote secret`);
  return encodeEntry(hit.value);
}

/** A RemoteValue narrowed to one property of its document (version and lease carry over). */
export function propertyOf(value: RemoteValue, property: string, subject: ErrorSubject): RemoteValue {
  return { ...value, value: selectProperty(parseDocument(value.value, subject), property, subject) };
}

/** Every top-level entry of a document, for `dataFrom` (the getMap convention). */
export function valueMap(value: RemoteValue, subject: ErrorSubject): Map<string, Buffer> {
  const document = parseDocument(value.value, subject);
  return new Map(Object.entries(document).map(([key, entry]) => [key, encodeEntry(entry)]));
}
