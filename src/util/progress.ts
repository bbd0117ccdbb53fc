/**
 * A one-line progress bar for long work (training epochs, simulations). On a TTY it
 * redraws in place; elsewhere (CI logs) it prints at most one line per ~10 % so logs
 * stay short.
 */
export class Progress {
  private readonly start = Date.now();
  private lastPrinted = -1;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly enabled = true,
  ) {
    this.tty = Boolean(stream.isTTY);
  }

  update(done: number, extra = ''): void {
    if (!this.enabled) return;
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const decile = Math.floor(frac * 10);
    if (!this.tty && decile === this.lastPrinted && done < this.total) return;
    this.lastPrinted = decile;
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
    const secs = (Date.now() - this.start) / 1000;
    const line = `${this.label} [${bar}] ${done}/${this.total} ${secs.toFixed(1)}s ${extra}`;
    if (this.tty) this.stream.write(`\r${line}\x1b[K`);
    else this.stream.write(line + '\n');
  }

  done(extra = ''): void {
    if (!this.enabled) return;
    this.lastPrinted = -1;
    this.update(this.total, extra);
    if (this.tty) this.stream.write('\n');
  }
}
