// libvirt's keepalive rule: when nothing has arrived for one interval, send a PING; after `count`
// unanswered PINGs the peer is dead. Any received byte counts as an answer, as in libvirt.
export interface KeepaliveOptions {
  intervalMs: number;
  count: number;
}

export class Keepalive {
  private timer: NodeJS.Timeout | undefined;
  private lastReceived = Date.now();
  private unanswered = 0;

  constructor(
    private readonly options: KeepaliveOptions,
    private readonly sendPing: () => void,
    private readonly onDead: (silentForMs: number) => void,
  ) {}

  start(): void {
    if (this.timer || this.options.intervalMs <= 0) return;
    this.lastReceived = Date.now();
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
    // Keepalive alone must not keep the process running.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Call on every chunk received from the peer. */
  received(): void {
    this.lastReceived = Date.now();
    this.unanswered = 0;
  }

  private tick(): void {
    const silent = Date.now() - this.lastReceived;
    if (silent < this.options.intervalMs) return;
    if (this.unanswered >= this.options.count) {
      this.stop();
      this.onDead(silent);
      return;
    }
    this.unanswered++;
    this.sendPing();
  }
}
