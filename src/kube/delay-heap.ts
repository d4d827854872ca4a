// Binary min-heap of keys by due time, with an index so a key can be found, moved or removed in
// O(log n). Holds scheduled refreshes and backoff retries; one entry per key.

interface Entry<K> {
  key: K;
  dueAt: number;
  /** Insertion order breaks ties so keys due together come out first-scheduled-first. */
  seq: number;
}

export class DelayHeap<K> {
  #heap: Entry<K>[] = [];
  #index = new Map<K, number>();
  #seq = 0;

  get size(): number {
    return this.#heap.length;
  }

  has(key: K): boolean {
    return this.#index.has(key);
  }

  dueAt(key: K): number | undefined {
    const i = this.#index.get(key);
    return i === undefined ? undefined : this.#heap[i]?.dueAt;
  }

  /** Due time of the earliest entry. */
  peekDueAt(): number | undefined {
    return this.#heap[0]?.dueAt;
  }

  /**
   * Schedules key at dueAt. If the key is already scheduled, the earlier of the two times wins:
   * asking to look at something later never postpones a look already promised sooner.
   * Returns true when the key's due time changed (or it was added).
   */
  push(key: K, dueAt: number): boolean {
    const i = this.#index.get(key);
    if (i !== undefined) {
      const entry = this.#entry(i);
      if (dueAt >= entry.dueAt) return false;
      entry.dueAt = dueAt;
      entry.seq = this.#seq++;
      this.#siftUp(i);
      return true;
    }
    this.#heap.push({ key, dueAt, seq: this.#seq++ });
    this.#index.set(key, this.#heap.length - 1);
    this.#siftUp(this.#heap.length - 1);
    return true;
  }

  remove(key: K): boolean {
    const i = this.#index.get(key);
    if (i === undefined) return false;
    this.#removeAt(i);
    return true;
  }

  /** Removes and returns, in due order, every key due at or before now. */
  popDue(now: number): K[] {
    const due: K[] = [];
    for (let top = this.#heap[0]; top && top.dueAt <= now; top = this.#heap[0]) {
      due.push(top.key);
      this.#removeAt(0);
    }
    return due;
  }

  clear(): void {
    this.#heap = [];
    this.#index.clear();
  }

  #removeAt(i: number): void {
    const removed = this.#entry(i);
    const last = this.#heap.pop() as Entry<K>;
    this.#index.delete(removed.key);
    if (i === this.#heap.length) return;
    this.#heap[i] = last;
    this.#index.set(last.key, i);
    this.#siftDown(i);
    this.#siftUp(i);
  }

  #less(a: number, b: number): boolean {
    const x = this.#entry(a);
    const y = this.#entry(b);
    return x.dueAt < y.dueAt || (x.dueAt === y.dueAt && x.seq < y.seq);
  }

  #swap(a: number, b: number): void {
    const x = this.#entry(a);
    const y = this.#entry(b);
    this.#heap[a] = y;
    this.#heap[b] = x;
    this.#index.set(y.key, a);
    this.#index.set(x.key, b);
  }

  #siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #siftDown(i: number): void {
    const n = this.#heap.length;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < n && this.#less(left, smallest)) smallest = left;
      if (right < n && this.#less(right, smallest)) smallest = right;
      if (smallest === i) return;
      this.#swap(i, smallest);
      i = smallest;
    }
  }

  #entry(i: number): Entry<K> {
    const entry = this.#heap[i];
    if (!entry) throw new Error(`DelayHeap index ${i} out of range`);
    return entry;
  }
}
