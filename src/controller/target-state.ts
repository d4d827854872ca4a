// Whether a live Secret already holds what a SecretSource would apply, judged
// by the fields its own field manager owns: our keys with our values, exactly
// our labels and annotations (one we no longer want but still own must go),
// our ownerReference, the type and immutability. Fields other managers own —
// a key added by hand, another Merge source's keys — are not ours and do not
// count (docs/adr/0010-field-manager-per-secretsource.md). Comparing with the
// values in memory, not a hash, keeps this exact and cheap.
import type { AppliedSecret } from '../secrets/target.js';
import type { LiveSecret } from './ports.js';
import { ownedSecretFields } from '../kube/managed-fields.js';

export function liveMatches(live: LiveSecret, desired: AppliedSecret, manager: string): boolean {
  const owned = ownedSecretFields(live.metadata?.managedFields, manager);
  const metadata = live.metadata ?? {};
  const wantedOwners = (desired.metadata.ownerReferences ?? []).map((o) => o.uid);
  const liveOwners = new Set((metadata.ownerReferences ?? []).map((o) => o.uid));
  return (
    holdsExactly(live.data, desired.data, owned.data) &&
    holdsExactly(metadata.labels, desired.metadata.labels, owned.labels) &&
    holdsExactly(metadata.annotations, desired.metadata.annotations, owned.annotations) &&
    sameSet(owned.ownerReferences, wantedOwners) &&
    wantedOwners.every((uid) => liveOwners.has(uid)) &&
    (desired.type === undefined || live.type === desired.type) &&
    Boolean(live.immutable) === Boolean(desired.immutable)
  );
}

/** `actual` has every wanted entry, and we own exactly the wanted keys. */
function holdsExactly(
  actual: Readonly<Record<string, string>> | undefined,
  wanted: Readonly<Record<string, string>>,
  owned: ReadonlySet<string>,
): boolean {
  const keys = Object.keys(wanted);
  return sameSet(owned, keys) && keys.every((key) => actual?.[key] === wanted[key]);
}

function sameSet(owned: ReadonlySet<string>, wanted: readonly string[]): boolean {
  return owned.size === wanted.length && wanted.every((key) => owned.has(key));
}
