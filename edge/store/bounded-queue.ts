// A FIFO with a hard capacity: push is O(1) and, when full, evicts the oldest item so memory
// stays bounded however long the disk is unavailable. Storage grows on demand up to the cap.

export class BoundedQueue<T> {
  private slots: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new TypeError(`BoundedQueue: capacity must be a positive integer, got ${String(capacity)}`);
    }
    this.slots = new Array<T | undefined>(Math.min(capacity, 1024));
  }

  get length(): number {
    return this.count;
  }

  /** Append; returns the evicted oldest item when the queue was full, otherwise undefined. */
  push(item: T): T | undefined {
    if (this.count === this.slots.length && this.slots.length < this.capacity) this.grow();
    if (this.count === this.capacity) {
      const evicted = this.slots[this.head];
      this.slots[this.head] = item;
      this.head = (this.head + 1) % this.slots.length;
      return evicted;
    }
    this.slots[(this.head + this.count) % this.slots.length] = item;
    this.count++;
    return undefined;
  }

  /** Copy of the oldest `n` items without removing them (they leave only once safely written). */
  peek(n: number): T[] {
    const take = Math.min(n, this.count);
    const out = new Array<T>(take);
    for (let i = 0; i < take; i++) out[i] = this.slots[(this.head + i) % this.slots.length] as T;
    return out;
  }

  /** Remove the oldest `n` items. */
  drop(n: number): void {
    const take = Math.min(n, this.count);
    for (let i = 0; i < take; i++) {
      this.slots[this.head] = undefined;
      this.head = (this.head + 1) % this.slots.length;
    }
    this.count -= take;
  }

  private grow(): void {
    const next = new Array<T | undefined>(Math.min(this.capacity, this.slots.length * 2));
    for (let i = 0; i < this.count; i++) next[i] = this.slots[(this.head + i) % this.slots.length];
    this.slots = next;
    this.head = 0;
  }
}
