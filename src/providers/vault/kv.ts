// KV secrets engine paths and responses, v1 (`<mount>/<path>`) and v2 (`<mount>/data/<path>`).
import { InvalidRefError, NotFoundError, UnavailableError, type ErrorSubject } from '../errors.js';
import { isDocument, type Document } from '../property.js';
import type { RemoteRef } from '../types.js';
import { isSafePath } from './spec.js';

export interface KvLocation {
  mount: string;
  kvVersion: 1 | 2;
}

export interface KvSecret {
  data: Document;
  /** KV v2 version number as a string. */
  version?: string;
}

/** Checks a ref path (relative to the mount) and returns it URL-encoded per segment. */
export function encodeSecretPath(path: string, subject: ErrorSubject): string {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  if (trimmed === '' || !isSafePath(trimmed)) {
    throw new InvalidRefError(
      subject,
      'path must be a relative secret path without "..", "?", "#" or control characters',
    );
  }
  return trimmed.split('/').map(encodeURIComponent).join('/');
}

function encodeMount(mount: string): string {
  return mount.split('/').map(encodeURIComponent).join('/');
}

export function kvReadPath(location: KvLocation, ref: RemoteRef, subject: ErrorSubject): string {
  const path = encodeSecretPath(ref.path, subject);
  if (location.kvVersion === 1) {
    if (ref.version !== undefined)
      throw new InvalidRefError(subject, 'KV v1 has no versions; remove version');
    return `${encodeMount(location.mount)}/${path}`;
  }
  const version = ref.version === undefined ? '' : `?version=${parseKvVersion(ref.version, subject)}`;
  return `${encodeMount(location.mount)}/data/${path}${version}`;
}

export function kvWritePath(location: KvLocation, ref: RemoteRef, subject: ErrorSubject): string {
  if (ref.version !== undefined) throw new InvalidRefError(subject, 'a write cannot pin a version');
  const path = encodeSecretPath(ref.path, subject);
  return location.kvVersion === 1
    ? `${encodeMount(location.mount)}/${path}`
    : `${encodeMount(location.mount)}/data/${path}`;
}

function parseKvVersion(version: string, subject: ErrorSubject): number {
  if (!/^[1-9]\d{0,9}$/.test(version)) {
    throw new InvalidRefError(subject, `version "${version}" is not a KV v2 version (a positive integer)`);
  }
  return Number(version);
}

/** Parses a KV read response; a deleted or destroyed v2 version reads as NotFound. */
export function parseKvRead(location: KvLocation, body: unknown, subject: ErrorSubject): KvSecret {
  const outer = isDocument(body) ? body.data : undefined;
  if (location.kvVersion === 1) {
    if (!isDocument(outer)) throw new UnavailableError(subject, 'unexpected KV v1 response');
    return { data: outer };
  }
  if (!isDocument(outer)) throw new UnavailableError(subject, 'unexpected KV v2 response');
  const metadata = isDocument(outer.metadata) ? outer.metadata : {};
  if (outer.data === null || metadata.destroyed === true || (metadata.deletion_time ?? '') !== '') {
    throw new NotFoundError(subject, 'this version of the remote secret is deleted');
  }
  if (!isDocument(outer.data)) throw new UnavailableError(subject, 'unexpected KV v2 response');
  const secret: KvSecret = { data: outer.data };
  if (typeof metadata.version === 'number') secret.version = String(metadata.version);
  return secret;
}
