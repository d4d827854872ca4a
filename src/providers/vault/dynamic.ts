// Dynamic secrets on Vault / OpenBao: credentials a secrets engine issues on request (PKI
// certificates, database or RabbitMQ users, Kubernetes tokens, ...) and the leases they come
// under, renewed and revoked through sys/leases (client.ts makes the calls). Errors name the
// engine's path; the issued data is only ever returned.
import { UnavailableError, type ErrorSubject } from '../errors.js';
import { encodeEntry, isDocument } from '../property.js';
import type { IssueRequest, IssuedCredentials, RemoteLease } from '../types.js';
import { encodeSecretPath } from './kv.js';

/** The API path of an issue request, with its parameters as the query of a GET. */
export function issuePath(request: IssueRequest, subject: ErrorSubject): string {
  const path = encodeSecretPath(request.path, subject);
  const entries = Object.entries(request.parameters);
  if (request.method === 'POST' || entries.length === 0) return path;
  return `${path}?${new URLSearchParams(entries).toString()}`;
}

/**
 * The credentials of an issue response: every entry of `data` but nulls, the lease when it has
 * an id, and when they expire — the earliest of the lease's end and `data.expiration` (Unix
 * seconds; PKI certificates carry it, with or without a lease).
 */
export function parseIssued(body: unknown, subject: ErrorSubject, now: number): IssuedCredentials {
  const response = isDocument(body) ? body : {};
  const data = response.data;
  if (!isDocument(data)) throw new UnavailableError(subject, 'the response carries no data');
  const values = new Map<string, Buffer>();
  for (const [key, value] of Object.entries(data)) {
    if (value !== null && value !== undefined) values.set(key, encodeEntry(value));
  }
  const issued: IssuedCredentials = { values };
  const duration = typeof response.lease_duration === 'number' ? response.lease_duration : 0;
  if (typeof response.lease_id === 'string' && response.lease_id !== '') {
    issued.lease = {
      id: response.lease_id,
      durationSeconds: duration,
      renewable: response.renewable === true,
    };
  }
  const ends: number[] = [];
  if (duration > 0) ends.push(now + duration * 1000);
  if (typeof data.expiration === 'number' && data.expiration > 0) ends.push(data.expiration * 1000);
  if (ends.length > 0) issued.expiresAt = new Date(Math.min(...ends));
  return issued;
}

/** A sys/leases/renew answer. */
export function parseLease(body: unknown, subject: ErrorSubject): RemoteLease {
  const response = isDocument(body) ? body : {};
  if (typeof response.lease_id !== 'string' || typeof response.lease_duration !== 'number') {
    throw new UnavailableError(subject, 'unexpected lease renewal response');
  }
  return {
    id: response.lease_id,
    durationSeconds: response.lease_duration,
    renewable: response.renewable === true,
  };
}
