// A flicker-free full-screen writer: the alternate screen, cursor home, each line overwritten and
// cleared to its end, the rest cleared once — never a full clear per frame. One write per frame.

const ESC = "\x1b[";

export interface TerminalOut {
  write(text: string): unknown;
  columns?: number;
  rows?: number;
}

export class Screen {
  private active = false;
  private previous: string[] = [];

  constructor(private readonly out: TerminalOut) {}

  get width(): number {
    return this.out.columns || 80;
  }

  get height(): number {
    return this.out.rows || 24;
  }

  enter(): void {
    if (this.active) return;
    this.active = true;
    this.out.write(`${ESC}?1049h${ESC}?25l${ESC}H${ESC}2J`);
  }

  /** Draw `lines`; unchanged frames are not rewritten. `force` after a resize. */
  draw(lines: string[], force = false): void {
    if (!force && lines.length === this.previous.length && lines.every((l, i) => l === this.previous[i])) return;
    this.previous = lines;
    let frame = `${ESC}H`;
    lines.forEach((l, i) => {
      frame += l + `${ESC}K` + (i < lines.length - 1 ? "\r\n" : "");
    });
    this.out.write(frame + `${ESC}J`);
  }

  leave(): void {
    if (!this.active) return;
    this.active = false;
    this.out.write(`${ESC}?25h${ESC}?1049l`);
  }
}
