/**
 * A bounded FIFO: the newest `capacity` items, oldest first. Pushing past the capacity drops the
 * oldest item (and returns it, so its owner can forget what refers to it). Used for the history an
 * account keeps (executions, closed PnL, closed orders), so a long run uses bounded memory.
 */
export class Ring<T> {
  private items: (T | undefined)[] = [];
  /** Index of the oldest item once the buffer has wrapped. */
  private head = 0;
  private size = 0;

  constructor(private cap: number) {
    if (!Number.isSafeInteger(cap) || cap < 0) throw new RangeError(`ring capacity must be >= 0, got ${cap}`);
  }

  get capacity(): number {
    return this.cap;
  }

  get length(): number {
    return this.size;
  }

  /** Appends `item`; returns the item dropped to make room, if one was. */
  push(item: T): T | undefined {
    if (this.cap === 0) return item;
    if (this.size < this.cap) {
      // Still filling (head is 0 until the first wrap): the array grows as it is used.
      this.items[(this.head + this.size) % this.cap] = item;
      this.size += 1;
      return undefined;
    }
    const dropped = this.items[this.head];
    this.items[this.head] = item;
    this.head = (this.head + 1) % this.cap;
    return dropped;
  }

  /** The i-th oldest item (0 = oldest, length - 1 = newest; negative counts back from the newest). */
  at(i: number): T | undefined {
    const k = i < 0 ? i + this.size : i;
    if (k < 0 || k >= this.size) return undefined;
    return this.items[(this.head + k) % this.cap];
  }

  /** The newest item. */
  last(): T | undefined {
    return this.at(this.size - 1);
  }

  /** Newest first. */
  *newestFirst(): IterableIterator<T> {
    for (let i = this.size - 1; i >= 0; i--) yield this.at(i)!;
  }

  /** Oldest first. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.size; i++) yield this.at(i)!;
  }

  /** The items oldest first, as an array (a copy). */
  toArray(): T[] {
    return [...this];
  }

  filter(pred: (item: T) => boolean): T[] {
    return this.toArray().filter(pred);
  }

  map<U>(fn: (item: T) => U): U[] {
    return this.toArray().map(fn);
  }

  find(pred: (item: T) => boolean): T | undefined {
    for (const item of this) if (pred(item)) return item;
    return undefined;
  }

  some(pred: (item: T) => boolean): boolean {
    return this.find(pred) !== undefined;
  }

  /**
   * Changes the capacity, keeping the newest items; returns the items dropped (oldest first).
   */
  resize(capacity: number): T[] {
    if (!Number.isSafeInteger(capacity) || capacity < 0)
      throw new RangeError(`ring capacity must be >= 0, got ${capacity}`);
    const all = [...this];
    const dropped = all.splice(0, Math.max(0, all.length - capacity));
    this.cap = capacity;
    this.items = all;
    this.head = 0;
    this.size = all.length;
    return dropped;
  }
}
