import { DelayHeap } from './delay-heap.js';

describe('DelayHeap', () => {
  it('pops due keys in due-time order', () => {
    const heap = new DelayHeap<string>();
    heap.push('c', 30);
    heap.push('a', 10);
    heap.push('d', 40);
    heap.push('b', 20);
    expect(heap.peekDueAt()).toBe(10);
    expect(heap.popDue(25)).toEqual(['a', 'b']);
    expect(heap.size).toBe(2);
    expect(heap.popDue(100)).toEqual(['c', 'd']);
    expect(heap.peekDueAt()).toBeUndefined();
  });

  it('keeps the earlier due time when a key is pushed again', () => {
    const heap = new DelayHeap<string>();
    expect(heap.push('k', 50)).toBe(true);
    expect(heap.push('k', 80)).toBe(false);
    expect(heap.dueAt('k')).toBe(50);
    expect(heap.push('k', 20)).toBe(true);
    expect(heap.dueAt('k')).toBe(20);
    expect(heap.size).toBe(1);
  });

  it('breaks ties by scheduling order', () => {
    const heap = new DelayHeap<string>();
    for (const key of ['x', 'y', 'z']) heap.push(key, 5);
    expect(heap.popDue(5)).toEqual(['x', 'y', 'z']);
  });

  it('removes keys from anywhere', () => {
    const heap = new DelayHeap<string>();
    heap.push('a', 1);
    heap.push('b', 2);
    heap.push('c', 3);
    expect(heap.remove('a')).toBe(true);
    expect(heap.remove('a')).toBe(false);
    expect(heap.has('a')).toBe(false);
    expect(heap.popDue(10)).toEqual(['b', 'c']);
  });

  it('stays ordered under random pushes, moves and removals', () => {
    // Deterministic pseudo-random sequence so a failure is reproducible.
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const heap = new DelayHeap<number>();
    const expected = new Map<number, number>();
    for (let i = 0; i < 2_000; i++) {
      const key = rand(300);
      const op = rand(3);
      if (op === 2) {
        heap.remove(key);
        expected.delete(key);
      } else {
        const due = rand(10_000);
        heap.push(key, due);
        expected.set(key, Math.min(expected.get(key) ?? Infinity, due));
      }
    }
    expect(heap.size).toBe(expected.size);
    const popped = heap.popDue(Infinity);
    const dues = popped.map((key) => expected.get(key) as number);
    expect(dues).toEqual([...dues].sort((a, b) => a - b));
    expect(new Set(popped)).toEqual(new Set(expected.keys()));
  });
});
