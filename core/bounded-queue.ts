// The one bounded FIFO of minegate: push is O(1) and, when full, evicts the oldest item and hands
// it back (so the caller can count the loss), so memory stays bounded however long the disk or the
// uplink is unavailable. Items leave only when the caller says so (drop), after they were safely
// written: peek/oldest copy without removing.
//
// Storage grows on demand up to the cap (a reading queue of 100 000 rarely holds more than a
// batch). `preallocate` takes the whole cap at construction instead, for a stage on the safety
// path that must never allocate after start (the outbox's in-memory stage).

export interface BoundedQueueOptions {
  /** Allocate all `capacity` slots now instead of growing on demand. */
  preallocate?: boolean;
}

/** Slots taken at first when growing on demand. */
const INITIAL_SLOTS = 1024;

export class BoundedQueue<T> {
  private slots: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(
    readonly capacity: number,
    opts: BoundedQueueOptions = {},
  ) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new TypeError(`BoundedQueue: capacity must be a positive integer, got ${String(capacity)}`);
    }
    this.slots = new Array<T | undefined>(opts.preallocate ? capacity : Math.min(capacity, INITIAL_SLOTS));
  }

  /** Items held now. */
  get size(): number {
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

  /** Remove and return the oldest item (undefined when empty). */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.slots.length;
    this.count--;
    return item;
  }

  /** The i-th oldest item (0 = the oldest) without removing it; undefined past the end. */
  peek(i: number): T | undefined {
    if (!(i >= 0 && i < this.count)) return undefined;
    return this.slots[(this.head + i) % this.slots.length];
  }

  /** Copy of the oldest `n` items without removing them (they leave only once safely written). */
  oldest(n: number): T[] {
    const take = Math.max(0, Math.min(n, this.count));
    const out = new Array<T>(take);
    for (let i = 0; i < take; i++) out[i] = this.slots[(this.head + i) % this.slots.length] as T;
    return out;
  }

  /** Remove the oldest `n` items. */
  drop(n: number): void {
    const take = Math.max(0, Math.min(n, this.count));
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
