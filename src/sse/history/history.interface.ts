import { Inject } from '@nestjs/common';
import { compareEventIds } from '../wire/event-id.js';
import type { TopicEvent } from '../topic-event.interface.js';

export const HISTORY = Symbol('RIPPLE_HISTORY');

/** Injects the configured History (memory or Redis). */
export const InjectHistory = (): ParameterDecorator => Inject(HISTORY);

export interface HistoryRead {
  /** The retained events after the position asked for, oldest first, at most the limit asked. */
  events: TopicEvent[];
  /** The page was full and more events follow it: read again after the last one. */
  more: boolean;
  /** The topic's last id at the time of the read (`0-0` or a floor when it has none). */
  head: string;
  /**
   * Set when events after the position may be missing: `trimmed` when history no longer reaches
   * back that far, `unknown-position` when this history never issued it (from the future, or from
   * a history that was lost, such as a memory history before a restart).
   */
  gap?: 'trimmed' | 'unknown-position';
}

/** Recent history asked for on open: the last `last` events, or those from `since` (ms) on. */
export interface Recent {
  last?: number;
  since?: number;
}

/**
 * The last events of every topic, for resume. Writing is the Transport's job, since storing and
 * making an event live must be one step; History is the read side.
 */
export interface History {
  /** The id of the topic's last event, or its floor when it has none. */
  head(topic: string): Promise<string>;
  /**
   * At most `limit` events after `after`: a page, so that a resume holds one page at a time
   * rather than all the history after its cursor.
   */
  readAfter(topic: string, after: string, limit: number): Promise<HistoryRead>;
  /**
   * The position a resume of the recent history starts from: `readAfter` it gives the retained
   * events asked for (the fewer of the two when both are), and never a gap while they are kept.
   * A stream opened with history is a resume from here, with the same limits.
   */
  recentStart(topic: string, recent: Recent): Promise<string>;
}

/** The later of two positions: the one that gives fewer events. */
export function laterOf(a: string, b: string): string {
  return compareEventIds(a, b) >= 0 ? a : b;
}
