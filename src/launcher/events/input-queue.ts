// The pipeline's inbox (KUBEVIRT.md §5.1, §5.2): libvirt events take one of 10 slots and are
// dropped when all are taken; the other inputs (agent data, reconnect, metadata change, resend) carry no
// payload, so a second one while one is already waiting adds nothing and is merged into it. Items
// come out in arrival order, one at a time, to a single consumer.

export const LIBVIRT_EVENT_SLOTS = 10;

export type SignalKind = 'agent' | 'reconnect' | 'metadata' | 'resend';

export type QueueItem<E> = { kind: 'libvirt'; event: E } | { kind: SignalKind };

export class InputQueue<E> {
  private readonly items: QueueItem<E>[] = [];
  private libvirtCount = 0;
  private waiter: (() => void) | undefined;
  private closed = false;

  constructor(private readonly slots = LIBVIRT_EVENT_SLOTS) {}

  /** false when the queue is full (the event is dropped) or closed. */
  pushEvent(event: E): boolean {
    if (this.closed || this.libvirtCount >= this.slots) return false;
    this.libvirtCount++;
    this.items.push({ kind: 'libvirt', event });
    this.wake();
    return true;
  }

  /** Adds a signal unless one of its kind is already waiting. */
  pushSignal(kind: SignalKind): void {
    if (this.closed || this.items.some((i) => i.kind === kind)) return;
    this.items.push({ kind });
    this.wake();
  }

  /** Forgets a waiting signal (the metadata cache's ResetNotification). */
  discardSignal(kind: SignalKind): void {
    const i = this.items.findIndex((it) => it.kind === kind);
    if (i >= 0) this.items.splice(i, 1);
  }

  get size(): number {
    return this.items.length;
  }

  /** The next item, waiting for one; undefined once the queue is closed. */
  async next(): Promise<QueueItem<E> | undefined> {
    for (;;) {
      if (this.closed) return undefined;
      const item = this.items.shift();
      if (item) {
        if (item.kind === 'libvirt') this.libvirtCount--;
        return item;
      }
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  close(): void {
    this.closed = true;
    this.items.length = 0;
    this.libvirtCount = 0;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}
