// Which SecretSources write which Secret, kept from the SecretSource informer's
// events. A Secret's own marks name at most one source (its owner); the
// sources that merge keys into it (creationPolicy Merge) are found here, so a
// hand edit of a merged Secret reaches every source that writes to it.
export class TargetIndex {
  /** `namespace/secret` → keys of the SecretSources that write it. */
  readonly #writers = new Map<string, Set<string>>();
  /** SecretSource key → its `namespace/secret`. */
  readonly #targets = new Map<string, string>();

  /** Records that SecretSource `sourceKey` (`namespace/name`) writes Secret `targetName`. */
  set(sourceKey: string, targetName: string): void {
    const namespace = sourceKey.slice(0, sourceKey.indexOf('/'));
    const target = `${namespace}/${targetName}`;
    if (this.#targets.get(sourceKey) === target) return;
    this.delete(sourceKey);
    this.#targets.set(sourceKey, target);
    const writers = this.#writers.get(target) ?? new Set();
    writers.add(sourceKey);
    this.#writers.set(target, writers);
  }

  delete(sourceKey: string): void {
    const target = this.#targets.get(sourceKey);
    if (target === undefined) return;
    this.#targets.delete(sourceKey);
    const writers = this.#writers.get(target);
    writers?.delete(sourceKey);
    if (writers?.size === 0) this.#writers.delete(target);
  }

  /** The SecretSources that write Secret `namespace/name`. */
  writersOf(secretKey: string): string[] {
    return [...(this.#writers.get(secretKey) ?? [])];
  }
}
