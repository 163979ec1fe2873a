import { Producer, type ProducerTick } from '../producers/index.js';

export interface ClockEvent {
  iso: string;
  epochMs: number;
}

/** The time, once a second: the simplest live topic, and a check that events flow. */
@Producer({ name: 'clock', topic: 'clock', intervalMs: 1000 })
export class ClockProducer implements ProducerTick {
  produce(): ClockEvent {
    // One reading for both fields, so they never disagree across a millisecond boundary.
    const now = new Date();
    return { iso: now.toISOString(), epochMs: now.getTime() };
  }
}
