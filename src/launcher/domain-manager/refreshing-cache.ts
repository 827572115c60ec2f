// A value that is good for a fixed period and kept fresh in the background once asked for
// (KubeVirt's time-defined cache for GetDomainStats, KUBEVIRT.md §4.5: 3.25 s). A caller gets the
// cached value while it is fresh, otherwise waits for one computation shared by all callers. A
// failed background refresh drops the value and stops refreshing, so the next caller sees the
// error first-hand.

export class RefreshingCache<T> {
  private value: { readonly at: number; readonly data: T } | undefined;
  private inflight: Promise<T> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly compute: () => Promise<T>,
    private readonly periodMs: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {}

  get(): Promise<T> {
    const v = this.value;
    if (v && this.now() - v.at < this.periodMs) return Promise.resolve(v.data);
    return this.refresh();
  }

  /** Stops the background refresh for good. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private refresh(): Promise<T> {
    if (this.inflight) return this.inflight;
    const p = this.compute().then(
      (data) => {
        this.value = { at: this.now(), data };
        this.inflight = undefined;
        this.scheduleBackground();
        return data;
      },
      (err: unknown) => {
        this.value = undefined;
        this.inflight = undefined;
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
        throw err;
      },
    );
    this.inflight = p;
    return p;
  }

  private scheduleBackground(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refresh().catch(() => undefined);
    }, this.periodMs);
    this.timer.unref();
  }
}
