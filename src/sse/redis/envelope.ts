import type { TopicEvent } from '../topic-event.interface.js';

/**
 * The message on a topic's channel: `1\n<id>\n<type>\n<publishedAt>\n<data>`, composed by the
 * publish script. Plain lines rather than JSON, so the payload (JSON text, which never holds a raw
 * newline) is not escaped and parsed a second time on every instance.
 */
export const ENVELOPE_VERSION = '1';

export function parseEnvelope(topic: string, message: string): TopicEvent | undefined {
  const fields: string[] = [];
  let from = 0;
  for (let i = 0; i < 4; i++) {
    const newline = message.indexOf('\n', from);
    if (newline < 0) {
      return undefined;
    }
    fields.push(message.slice(from, newline));
    from = newline + 1;
  }
  const [version, id, type, publishedAt] = fields;
  const at = Number(publishedAt);
  if (version !== ENVELOPE_VERSION || !/^\d+-\d+$/.test(id) || !Number.isFinite(at)) {
    return undefined;
  }
  return {
    topic,
    id,
    type: type === '' ? undefined : type,
    data: message.slice(from),
    publishedAt: at,
  };
}
