/**
 * Serialises a payload once, at publish. JSON text never contains a raw CR or LF, so a payload
 * always fits on one `data:` line, whatever strings it carries.
 */
export function serializePayload(data: unknown): string {
  const text = JSON.stringify(data);
  if (typeof text !== 'string') {
    // JSON.stringify gives undefined for undefined, functions and symbols: not JSON values.
    throw new TypeError('data is not a JSON value');
  }
  return text;
}

export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
