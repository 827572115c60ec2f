// A fixed-size ring of the most recent items: troubleshooting keeps the last N of something
// (log lines, DHCP exchanges, events) without ever growing.

export class Ring<T> {
  readonly capacity: number;
  readonly #items: T[] = [];
  #next = 0;
  #total = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity ${capacity}`);
    this.capacity = capacity;
  }

  push(item: T): void {
    if (this.#items.length < this.capacity) this.#items.push(item);
    else this.#items[this.#next] = item;
    this.#next = (this.#next + 1) % this.capacity;
    this.#total++;
  }

  /** Oldest first. */
  toArray(): T[] {
    if (this.#items.length < this.capacity) return [...this.#items];
    return [...this.#items.slice(this.#next), ...this.#items.slice(0, this.#next)];
  }

  /** Items pushed since the start, including those overwritten since. */
  get total(): number {
    return this.#total;
  }
}
