// Builds the Secret the operator applies: the data fetched from the provider,
// the type, and the labels, annotations and ownerReference that mark it ours.
// A source that merges its keys into someone else's Secret (creationPolicy
// Merge) applies only its keys and the managed label: the Secret's type and
// the marks naming one owning source are not its to set.
import { FINGERPRINT_ANNOTATION, MANAGED_LABEL, SOURCE_ANNOTATION } from '../api/v1alpha1/names.js';
import type { SecretData } from './fingerprint.js';

/** The API server refuses a Secret over 1 MiB; refuse it first with a clear reason. */
export const MAX_SECRET_BYTES = 1024 * 1024;

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

export interface TargetSecretSpec {
  name: string;
  namespace: string;
  type: string;
  data: SecretData;
  /** The SecretSource that manages this Secret (name in the same namespace). */
  sourceName: string;
  /** The content fingerprint (ContentFingerprint) stamped on the Secret. */
  fingerprint: string;
  /** creationPolicy Merge: only our keys and the managed label. */
  merge?: boolean;
  labels?: Readonly<Record<string, string>>;
  annotations?: Readonly<Record<string, string>>;
  /** Set for creationPolicy Owner, so the Secret is garbage collected with its SecretSource. */
  owner?: OwnerReference;
  immutable?: boolean;
}

export interface AppliedSecret {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    ownerReferences?: (OwnerReference & { controller: boolean; blockOwnerDeletion: boolean })[];
  };
  /** Absent when merging into a Secret of another type. */
  type?: string;
  data: Record<string, string>;
  immutable?: boolean;
}

export class SecretTooLargeError extends Error {
  readonly reason = 'InvalidSpec';
  constructor(secret: string, bytes: number) {
    super(`Secret ${secret} would hold ${bytes} bytes of data, over the 1 MiB limit`);
  }
}

/** The apply configuration for the target Secret. */
export function buildTargetSecret(spec: TargetSecretSpec): AppliedSecret {
  let bytes = 0;
  const data: Record<string, string> = {};
  for (const key of [...spec.data.keys()].sort()) {
    const value = spec.data.get(key)!;
    bytes += key.length + value.length;
    data[key] = value.toString('base64');
  }
  if (bytes > MAX_SECRET_BYTES) throw new SecretTooLargeError(`${spec.namespace}/${spec.name}`, bytes);

  const marks: Record<string, string> = spec.merge
    ? {}
    : { [FINGERPRINT_ANNOTATION]: spec.fingerprint, [SOURCE_ANNOTATION]: spec.sourceName };
  const secret: AppliedSecret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: spec.name,
      namespace: spec.namespace,
      // Ours go last so a user label cannot unmark the Secret as managed.
      labels: { ...spec.labels, [MANAGED_LABEL]: 'true' },
      annotations: { ...spec.annotations, ...marks },
    },
    ...(spec.merge ? {} : { type: spec.type }),
    data,
  };
  if (spec.owner) {
    secret.metadata.ownerReferences = [{ ...spec.owner, controller: true, blockOwnerDeletion: true }];
  }
  if (spec.immutable) secret.immutable = true;
  return secret;
}
