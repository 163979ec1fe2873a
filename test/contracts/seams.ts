import type { History } from '../../src/sse/history/history.interface.js';
import type { Transport } from '../../src/sse/transport/transport.interface.js';

/** One backend's pair of seams, made fresh for each test, with a retention of `historySize`. */
export interface Seams {
  transport: Transport;
  history: History;
  close(): Promise<void>;
}

export type MakeSeams = (options: { historySize: number }) => Promise<Seams>;

let counter = 0;

/** Topic names no other test (or earlier run against a shared Redis) has used. */
export function freshTopic(label: string): string {
  counter++;
  return `${label}.${process.pid}.${Date.now().toString(36)}.${counter}`;
}
