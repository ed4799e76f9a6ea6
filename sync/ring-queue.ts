// A fixed-capacity FIFO for the outbox's in-memory stage. append() is O(1) and never allocates
// after construction, so the safety path that feeds the outbox cannot be slowed down or grow the
// heap however long the disk stays unwritable: when full, the oldest entry is pushed out and
// handed back so the caller can count it.
export class RingQueue<T> {
  private readonly items: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new TypeError(`RingQueue: capacity must be a positive integer, got ${String(capacity)}`);
    }
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Adds at the tail. When full, removes and returns the oldest entry to make room. */
  push(item: T): T | undefined {
    let evicted: T | undefined;
    if (this.count === this.capacity) evicted = this.shift();
    this.items[(this.head + this.count) % this.capacity] = item;
    this.count++;
    return evicted;
  }

  /** Removes and returns the oldest entry. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    return item;
  }

  /** The i-th oldest entry (0 = head) without removing it. */
  peek(i: number): T | undefined {
    if (i < 0 || i >= this.count) return undefined;
    return this.items[(this.head + i) % this.capacity];
  }

  /** Removes the n oldest entries (after they were written to disk). */
  drop(n: number): void {
    const k = Math.min(n, this.count);
    for (let i = 0; i < k; i++) this.shift();
  }
}
