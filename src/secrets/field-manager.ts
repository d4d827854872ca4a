// The field manager each SecretSource applies its Secret as (docs/adr/0010): the API server then
// records which keys, labels and annotations each source wrote.
import { createHash } from 'node:crypto';
import { SECRET_FIELD_MANAGER_PREFIX } from '../api/v1alpha1/names.js';

/** The API server refuses a fieldManager longer than this. */
const MAX_MANAGER_LENGTH = 128;

/**
 * The field manager of one SecretSource's applies: stable across restarts and
 * recreations of the SecretSource (the Secret lives in the source's namespace,
 * so the name is enough). Names too long for a manager keep a readable prefix
 * and a digest of the whole name.
 */
export function secretFieldManager(sourceName: string): string {
  const manager = SECRET_FIELD_MANAGER_PREFIX + sourceName;
  if (manager.length <= MAX_MANAGER_LENGTH) return manager;
  const digest = createHash('sha256').update(sourceName).digest('hex').slice(0, 16);
  return `${manager.slice(0, MAX_MANAGER_LENGTH - digest.length - 1)}~${digest}`;
}
