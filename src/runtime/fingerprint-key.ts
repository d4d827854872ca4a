// The key of the content fingerprints (src/secrets/fingerprint.ts), kept in a
// Secret in the operator's own namespace so every replica and every restart
// uses the same one: a fingerprint made by one process is checked by another.
// The first replica to start creates it; a replica that loses the creation
// race reads the winner's. Only the operator's ServiceAccount can read its
// namespace's Secrets, so the key stays with the operator.
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { kubeErrorMessage } from '../kube/kube-error.js';
import { OPERATOR_NAME } from '../api/v1alpha1/names.js';
import { MIN_FINGERPRINT_KEY_BYTES } from '../secrets/fingerprint.js';

export const FINGERPRINT_KEY_SECRET = 'secretsource-fingerprint-key';
export const FINGERPRINT_KEY_FIELD = 'key';

/** The two calls the loader needs, so it is tested without an API server. */
export interface KeySecretStore {
  /** The key, or undefined when the Secret does not exist. */
  read(namespace: string, name: string): Promise<Buffer | undefined>;
  /** Creates the Secret; 'exists' when another replica created it first. */
  create(namespace: string, name: string, key: Buffer): Promise<'created' | 'exists'>;
}

export interface KeyLoaderLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export type LoadedKey = { key: Buffer; source: 'stored' | 'created' | 'process' };

/** Why the key cannot be stored at all (no such namespace, no right to it): retrying will not help. */
export function isPermanentKeyError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === 404 || code === 403;
}

/**
 * Reads the key, creating it on first start. When it cannot be stored at all
 * (its namespace does not exist, or the operator has no right to it), the
 * process uses a key of its own and says so: fingerprints then hold only until
 * a restart, after which each Secret's stamp is rewritten once. Other errors
 * (the API server unavailable) are thrown for the caller to retry.
 */
export async function loadFingerprintKey(
  store: KeySecretStore,
  namespace: string,
  logger: KeyLoaderLogger,
  random: (bytes: number) => Buffer = randomBytes,
): Promise<LoadedKey> {
  const where = { secret: `${namespace}/${FINGERPRINT_KEY_SECRET}` };
  try {
    const stored = await store.read(namespace, FINGERPRINT_KEY_SECRET);
    if (stored !== undefined) return { key: usable(stored, where.secret), source: 'stored' };
    const key = random(MIN_FINGERPRINT_KEY_BYTES);
    if ((await store.create(namespace, FINGERPRINT_KEY_SECRET, key)) === 'created') {
      logger.info(where, 'created the fingerprint key');
      return { key, source: 'created' };
    }
    const winner = await store.read(namespace, FINGERPRINT_KEY_SECRET);
    if (winner === undefined) throw new Error(`${where.secret} was created and is gone again`);
    return { key: usable(winner, where.secret), source: 'stored' };
  } catch (error) {
    if (!isPermanentKeyError(error)) throw error;
    logger.warn(
      { ...where, detail: kubeErrorMessage(error) },
      `cannot keep the fingerprint key in namespace ${namespace} (create the namespace, or grant the operator get/create on Secrets there); using a key for this process only, so each Secret's stamp is rewritten after a restart`,
    );
    return { key: random(MIN_FINGERPRINT_KEY_BYTES), source: 'process' };
  }
}

function usable(key: Buffer, where: string): Buffer {
  if (key.length < MIN_FINGERPRINT_KEY_BYTES) {
    throw new Error(
      `${where} holds a key of ${key.length} bytes; at least ${MIN_FINGERPRINT_KEY_BYTES} are needed`,
    );
  }
  return key;
}

/** The store on the API server. */
export class KubernetesKeySecretStore implements KeySecretStore {
  constructor(readonly core: k8s.CoreV1Api) {}

  async read(namespace: string, name: string): Promise<Buffer | undefined> {
    try {
      const secret = await this.core.readNamespacedSecret({ namespace, name });
      const encoded = secret.data?.[FINGERPRINT_KEY_FIELD];
      return encoded === undefined ? Buffer.alloc(0) : Buffer.from(encoded, 'base64');
    } catch (error) {
      // A 404 for the Secret means "create it"; for a missing namespace the create answers 404 too.
      if (error instanceof k8s.ApiException && error.code === 404) return undefined;
      throw error;
    }
  }

  async create(namespace: string, name: string, key: Buffer): Promise<'created' | 'exists'> {
    try {
      await this.core.createNamespacedSecret({
        namespace,
        body: {
          metadata: { name, labels: { 'app.kubernetes.io/name': OPERATOR_NAME } },
          type: 'Opaque',
          data: { [FINGERPRINT_KEY_FIELD]: key.toString('base64') },
        },
      });
      return 'created';
    } catch (error) {
      if (error instanceof k8s.ApiException && error.code === 409) return 'exists';
      throw error;
    }
  }
}
