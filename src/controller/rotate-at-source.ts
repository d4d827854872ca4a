// spec.generate: rotation at the source. For each entry the backend is read first; a new value is
// generated and written through the provider when the remote value does not exist yet, or when a
// rotation is due — and then read back, so the Secret gets exactly what the backend holds.
//
// Crash safety, step by step (a crash anywhere is followed by a retry of the whole reconcile):
// - before the backend write: nothing changed; the retry generates again.
// - after the backend write, before the Secret write: the backend is ahead of the Secret. The retry
//   sees it (backend value ≠ Secret value), adopts the backend's value instead of rotating again,
//   and writes the Secret: they disagree for at most one retry, and no value is lost.
// - after the Secret write: the Secret's rotated-at annotation (written in the same apply) records
//   the rotation, so the retry does not rotate again.
// - a key pair is written public half first; a private key whose public half does not match it
//   (a crash between the two writes) is rotated again, so a pair never stays mismatched.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import type { DeepReadonly, SecretSourceGenerate } from '../api/v1alpha1/index.js';
import type { CachedProviderClient } from '../providers/client-cache.js';
import { InvalidRefError, NotFoundError } from '../providers/errors.js';
import type { RemoteRef } from '../providers/types.js';
import type { FetchedDataEntry } from '../secrets/content.js';
import { generate, openSshPublicKey, type Generated, type GeneratorSpec } from '../secrets/generators.js';
import type { LiveSecret } from './ports.js';

const PUBLIC_SUFFIX = '.pub';

export interface RotationInput {
  generate: readonly DeepReadonly<SecretSourceGenerate>[];
  client: CachedProviderClient;
  live: LiveSecret | undefined;
  /** The schedule says the values are due for a rotation (or a force-sync asked for one). */
  due: boolean;
  signal: AbortSignal;
  /** Injected by tests; the CSPRNG-backed generators by default. */
  generateValue?: (spec: GeneratorSpec) => Generated;
}

export interface RotationOutcome {
  /** Every generated key with the value the backend holds now, as data entries. */
  entries: FetchedDataEntry[];
  /** The entries a new value was written for (Secret keys and remote paths; never values). */
  rotated: { key: string; path: string }[];
}

export async function rotateAtSource(input: RotationInput): Promise<RotationOutcome> {
  const outcome: RotationOutcome = { entries: [], rotated: [] };
  const write = input.client.write?.bind(input.client);
  for (const entry of input.generate) {
    const refs = refsOf(entry);
    let current = await readAll(input.client, refs, input.signal);
    const held = current && { value: current[0]!, ...(current[1] ? { publicKey: current[1] } : {}) };
    const secretHolds = liveValue(input.live, entry.key);
    const backendAhead = held !== undefined && secretHolds !== undefined && !held.value.equals(secretHolds);
    const mismatchedPair = held !== undefined && entry.keyPair !== undefined && !pairMatches(held, entry);
    if (current === undefined || mismatchedPair || (input.due && !backendAhead)) {
      if (!write) {
        throw new InvalidRefError(
          { provider: input.client.description, path: entry.remoteRef.path },
          'spec.generate needs a provider that can write secrets',
        );
      }
      const value = (input.generateValue ?? generate)(generatorSpec(entry));
      // The public half first: a crash between the writes leaves a private key that no longer
      // matches, which the next reconcile rotates again.
      if (value.publicKey) await write(refs[1]!, value.publicKey, input.signal);
      await write(refs[0]!, value.value, input.signal);
      outcome.rotated.push({ key: entry.key, path: entry.remoteRef.path });
      current = await readAll(input.client, refs, input.signal);
      if (current === undefined) {
        throw new InvalidRefError(
          { provider: input.client.description, path: entry.remoteRef.path },
          'the generated value was written but cannot be read back',
        );
      }
    }
    outcome.entries.push({ key: entry.key, value: current[0]! });
    if (current[1]) outcome.entries.push({ key: entry.key + PUBLIC_SUFFIX, value: current[1] });
  }
  return outcome;
}

/** The value ref, and for a key pair the public key's ref (the property with .pub appended). */
function refsOf(entry: DeepReadonly<SecretSourceGenerate>): RemoteRef[] {
  const { path, property } = entry.remoteRef;
  const ref: RemoteRef = property ? { path, property } : { path };
  if (!entry.keyPair) return [ref];
  return [ref, { path, property: `${property}${PUBLIC_SUFFIX}` }];
}

/** Every ref's value as the backend holds it now (never a shared read); undefined if one is missing. */
async function readAll(
  client: CachedProviderClient,
  refs: readonly RemoteRef[],
  signal: AbortSignal,
): Promise<Buffer[] | undefined> {
  const values: Buffer[] = [];
  for (const ref of refs) {
    try {
      values.push((await client.get(ref, signal)).value);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }
  return values;
}

function liveValue(live: LiveSecret | undefined, key: string): Buffer | undefined {
  const encoded = live?.data?.[key];
  return encoded === undefined ? undefined : Buffer.from(encoded, 'base64');
}

function pairMatches(held: { value: Buffer; publicKey?: Buffer }, entry: DeepReadonly<SecretSourceGenerate>) {
  try {
    const publicKey = createPublicKey(createPrivateKey(held.value.toString()));
    const expected =
      entry.keyPair?.publicKeyFormat === 'OpenSSH'
        ? `${openSshPublicKey(publicKey)}\n`
        : (publicKey.export({ format: 'pem', type: 'spki' }) as string);
    return held.publicKey?.toString().trim() === expected.trim();
  } catch {
    return false; // not a key we can read: make a new pair
  }
}

function generatorSpec(entry: DeepReadonly<SecretSourceGenerate>): GeneratorSpec {
  if (entry.password) return { password: { ...entry.password } };
  if (entry.randomBytes) return { randomBytes: { ...entry.randomBytes } };
  return { keyPair: { ...entry.keyPair! } };
}
