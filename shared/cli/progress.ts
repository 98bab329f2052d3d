/**
 * A progress report suited to where the output goes: on a terminal, one line redrawn in place
 * (`\r`) a few times a second; into a pipe or a file, a whole line every few seconds, so a log
 * shows the run moving without a line per event or one endless line.
 */
import type { Writable } from 'node:stream';

export interface ProgressOptions {
  stream?: Writable & { isTTY?: boolean };
  /** Redraw in place; by default when the stream is a terminal. */
  tty?: boolean;
  /** How often to show the state: default 250 ms on a terminal, 5 s otherwise. */
  everyMs?: number;
}

export interface Progress {
  /** Shows the state now (in place on a terminal; a line when piped, only if it changed). */
  show(): void;
  /** Shows the final state and ends the line; later calls do nothing. */
  done(): void;
}

export function progress(render: () => string, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stdout;
  const tty = options.tty ?? stream.isTTY === true;
  let width = 0;
  let last: string | undefined;
  let finished = false;
  const show = () => {
    if (finished) return;
    const text = render();
    if (tty && text === last) return;
    if (tty) {
      // Pad over what the previous, longer line left behind.
      stream.write(`\r${text.padEnd(width)}`);
      width = text.length;
    } else if (text !== last) {
      stream.write(`${text}\n`);
    }
    last = text;
  };
  const timer = setInterval(show, options.everyMs ?? (tty ? 250 : 5_000));
  timer.unref();
  return {
    show,
    done() {
      if (finished) return;
      clearInterval(timer);
      show();
      if (tty) stream.write('\n');
      finished = true;
    },
  };
}
