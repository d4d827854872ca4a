// Server-side apply ownership of a managed Secret, read from metadata.managedFields. The names of
// the managers are the caller's (src/api/v1alpha1/names.ts, src/secrets/field-manager.ts).
//
// Each SecretSource applies its Secret under its own field manager, so the API
// server itself records which keys, labels and annotations each source wrote.
// That record answers the questions a shared manager could not: which keys are
// ours (a key added by hand is not, and is left alone), whether a label we no
// longer want is still ours (so an apply must remove it), and which fields a
// Secret written by an older version of the operator still holds under the old
// shared manager (docs/adr/0010-field-manager-per-secretsource.md).

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  fieldsType?: string;
  fieldsV1?: unknown;
  subresource?: string;
  time?: string | Date;
}

/** What one manager's Apply entry holds of a Secret. */
export interface OwnedSecretFields {
  data: Set<string>;
  labels: Set<string>;
  annotations: Set<string>;
  /** uids of the ownerReferences the manager set. */
  ownerReferences: Set<string>;
  type: boolean;
  immutable: boolean;
}

/** A path through a fieldsV1 tree, e.g. ['f:data', 'f:password']. */
export type FieldPath = readonly string[];

function applyEntry(entries: readonly ManagedFieldsEntry[] | undefined, manager: string) {
  return entries?.find((e) => e.manager === manager && e.operation === 'Apply' && !e.subresource);
}

export function hasApplyEntry(entries: readonly ManagedFieldsEntry[] | undefined, manager: string): boolean {
  return applyEntry(entries, manager) !== undefined;
}

/** The fields `manager` owns through server-side apply; every set is empty when it owns none. */
export function ownedSecretFields(
  entries: readonly ManagedFieldsEntry[] | undefined,
  manager: string,
): OwnedSecretFields {
  const owned: OwnedSecretFields = {
    data: new Set(),
    labels: new Set(),
    annotations: new Set(),
    ownerReferences: new Set(),
    type: false,
    immutable: false,
  };
  const entry = applyEntry(entries, manager);
  for (const path of fieldLeaves(entry?.fieldsV1)) {
    const [first, second, third] = path;
    if (first === 'f:data' && second?.startsWith('f:')) owned.data.add(second.slice(2));
    else if (first === 'f:type') owned.type = true;
    else if (first === 'f:immutable') owned.immutable = true;
    else if (first === 'f:metadata' && third !== undefined) {
      if (second === 'f:labels' && third.startsWith('f:')) owned.labels.add(third.slice(2));
      else if (second === 'f:annotations' && third.startsWith('f:')) owned.annotations.add(third.slice(2));
      else if (second === 'f:ownerReferences') {
        const uid = listItemUid(third);
        if (uid !== undefined) owned.ownerReferences.add(uid);
      }
    }
  }
  return owned;
}

/** `k:{"uid":"…"}` → the uid. */
function listItemUid(key: string): string | undefined {
  if (!key.startsWith('k:')) return undefined;
  try {
    const parsed = JSON.parse(key.slice(2)) as { uid?: unknown };
    return typeof parsed.uid === 'string' ? parsed.uid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every leaf of a fieldsV1 tree, stopping at list items (`k:`/`v:`/`i:` keys,
 * whose children describe one item). `.` entries mark a map itself as owned
 * and are not leaves of interest.
 */
export function fieldLeaves(fieldsV1: unknown, prefix: FieldPath = []): FieldPath[] {
  if (!isTree(fieldsV1)) return [];
  const leaves: FieldPath[] = [];
  for (const [key, child] of Object.entries(fieldsV1)) {
    if (key === '.') continue;
    const path = [...prefix, key];
    const isItem = /^[kvi]:/.test(key);
    if (isItem || !isTree(child) || Object.keys(child).every((k) => k === '.')) leaves.push(path);
    else leaves.push(...fieldLeaves(child, path));
  }
  return leaves;
}

/** The fieldsV1 tree holding exactly `leaves` (with the `.` markers the API server writes). */
export function fieldsTree(leaves: readonly FieldPath[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const path of leaves) {
    let node = root;
    path.forEach((key, index) => {
      const last = index === path.length - 1;
      const child = (node[key] ??= last ? {} : { '.': {} }) as Record<string, unknown>;
      if (!last && !('.' in child)) child['.'] = {};
      node = child;
    });
  }
  return root;
}

/**
 * The migration of a Secret written under `legacyManager`: the entries
 * without what `manager` now owns too, or undefined when the Secret has no
 * legacy entry or nothing in it to take. A source that owns the whole Secret (Owner, Orphan) takes the
 * legacy entry away entirely; a Merge source takes only its own fields, since
 * other Merge sources' keys sit in the same legacy entry until they migrate.
 */
export function withoutLegacyFields(
  entries: readonly ManagedFieldsEntry[] | undefined,
  legacyManager: string,
  manager: string,
  wholeSecret: boolean,
): ManagedFieldsEntry[] | undefined {
  const legacy = applyEntry(entries, legacyManager);
  if (!entries || !legacy) return undefined;
  const others = entries.filter((entry) => entry !== legacy);
  if (wholeSecret) return others;
  const ours = new Set(fieldLeaves(applyEntry(entries, manager)?.fieldsV1).map((p) => JSON.stringify(p)));
  const leaves = fieldLeaves(legacy.fieldsV1);
  const remaining = leaves.filter((path) => !ours.has(JSON.stringify(path)));
  if (remaining.length === leaves.length) return undefined;
  if (remaining.length === 0) return others;
  return entries.map((entry) => (entry === legacy ? { ...entry, fieldsV1: fieldsTree(remaining) } : entry));
}

function isTree(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
