import { MemoryHistory } from '../history/memory-history.js';
import { MemoryTransport } from '../transport/memory-transport.js';
import type { BackendSeams, BackendSettings, SseBackend } from './sse-backend.interface.js';

/**
 * One process: events live in its memory, bounded per topic and in bytes overall. The module's
 * default; a restart loses the history (a resume then gets `ripple.reset`).
 */
export class MemoryBackend implements SseBackend {
  readonly name = 'memory';

  createSeams(settings: BackendSettings): BackendSeams {
    const history = new MemoryHistory(settings.historySize, settings.memoryHistoryMaxBytes);
    const transport = new MemoryTransport(history, {
      windowMs: settings.idempotencyWindowMs,
      maxKeys: settings.idempotencyMaxKeys,
    });
    return { transport, history };
  }
}
