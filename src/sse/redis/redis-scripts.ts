import type { PubSub } from './pubsub.interface.js';

/**
 * Lua run by Redis, so that each step is atomic on the server.
 *
 * The publish script: KEYS[1] the topic's stream, KEYS[2] its channel, KEYS[3] the record of this
 * publish call (its publish id, or its caller's Idempotency-Key); ARGV: max length, data, type (''
 * for none), publishedAt, how long the record is kept (ms), the call's fingerprint ('' or absent
 * for none). Appends, trims to the bound, then publishes the envelope with the id the
 * stream gave, in the same step: every instance receives a topic's events in id order. It
 * publishes with PUBLISH on one Redis, with SPUBLISH (sharded, Redis 7) on a cluster, where the
 * hash tag puts the three keys in one slot, so the script runs on the shard that owns the channel.
 *
 * A client may send the same call twice: ioredis sends again a command whose answer a closed
 * connection lost (on one Redis once reconnected, on a cluster to the master that took over), and
 * Redis may have run it. So the script records the id it stored under the call's publish id, in
 * the same atomic step (and so replicated with it), and a call it finds there answers that id
 * without storing or publishing again. An HTTP publisher that retries with an Idempotency-Key gets
 * the same: its record is named by the key, and holds `<id> <fingerprint>` (a digest of the type
 * and data), which the script answers as it is when it finds it, so that the caller can tell a
 * retry (same fingerprint) from a different publish under a reused key. A new store answers the
 * bare id.
 *
 * It trims the stream back to its bound once it is a sixteenth over (history so holds between the
 * bound and a sixteenth more): XTRIM to one entry more than the bound, then XDEL of the oldest
 * that is left. A read knows that a position has fallen off by the stream's max-deleted-entry-id
 * (Redis 7), which XDEL records and XTRIM does not; deleting the last trimmed entry with XDEL
 * records exactly the id that one XDEL per trimmed id recorded before, at the cost of three
 * commands however many entries go (XTRIM drops whole nodes of the stream), where reading the
 * excess with XRANGE and deleting it id by id cost Redis per trimmed entry.
 */
/** Compares two stream ids as canonical decimal strings (Lua numbers lose precision past 2^53). */
const CMP = `
local function cmp(a, b)
  local ams, aseq = string.match(a, '^(%d+)-(%d+)$')
  local bms, bseq = string.match(b, '^(%d+)-(%d+)$')
  if #ams ~= #bms then return #ams < #bms and -1 or 1 end
  if ams ~= bms then return ams < bms and -1 or 1 end
  if #aseq ~= #bseq then return #aseq < #bseq and -1 or 1 end
  if aseq ~= bseq then return aseq < bseq and -1 or 1 end
  return 0
end
`;

/**
 * Appends an event to the topic's stream. A stream it creates is marked as having lost everything
 * before its first entry (its max-deleted-entry-id is that entry's id): a Redis that keeps nothing
 * on disk comes back empty after a restart and its ids go on from its clock, so a cursor of the
 * old history would otherwise read as a position in the new one, older than all of it, and skip
 * what was lost without a word. No cursor this history issued lies before the first entry but
 * 0-0, a topic's position before its first event, which the read script lets through.
 */
const APPEND = `
local function append(data, type, at)
  local id = redis.call('XADD', KEYS[1], 'NOMKSTREAM', '*', 'd', data, 't', type, 'p', at)
  if id then
    return id
  end
  id = redis.call('XADD', KEYS[1], '*', 'd', data, 't', type, 'p', at)
  redis.call('XSETID', KEYS[1], id, 'MAXDELETEDID', id)
  return id
end
`;

/**
 * Stores one event unless its call's record names it already; Lua shared by both scripts. Answers
 * the id, and whether it stored it (then the caller publishes it).
 */
const STORE_ONE = `
${APPEND}
local function storeOne(record, data, type, at, keep, fingerprint)
  local stored = redis.call('GET', record)
  if stored then
    return stored, false
  end
  local id = append(data, type, at)
  local value = id
  if fingerprint ~= '' then
    value = id .. ' ' .. fingerprint
  end
  redis.call('SET', record, value, 'PX', keep)
  return id, true
end
`;

/** The version 1 envelope of one event (envelope.ts). */
const ENVELOPE_ONE = `'1\\n' .. id .. '\\n' .. type .. '\\n' .. at .. '\\n' .. data`;

const TRIM = `
local max = tonumber(ARGV[1])
if redis.call('XLEN', KEYS[1]) - max > math.floor(max / 16) then
  redis.call('XTRIM', KEYS[1], 'MAXLEN', max + 1)
  local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
  redis.call('XDEL', KEYS[1], oldest[1][1])
end
`;

export const publishScript = (publishCommand: PubSub['publishCommand']): string => `
${STORE_ONE}
local data, type, at = ARGV[2], ARGV[3], ARGV[4]
local id, added = storeOne(KEYS[3], data, type, at, ARGV[5], ARGV[6] or '')
if added then
  redis.call('${publishCommand}', KEYS[2], ${ENVELOPE_ONE})
${TRIM}
end
return id
`;

/**
 * The publish script for several events of one topic at once, in one atomic step and in order:
 * KEYS[1] the stream, KEYS[2] the channel, KEYS[3] the record of this script call (its publish id),
 * KEYS[4..] the records of its calls under an Idempotency-Key, in order. ARGV[1] the max length,
 * ARGV[2] how long the call's record is kept (ms), ARGV[3] one line per event, `<publishedAt>
 * <length> <keep> <fingerprint> <type>` (its data's length in UTF-16 code units; how long its own
 * record is kept and its fingerprint, both empty for a call without a key, which has no record of
 * its own; the type, empty for none, is a topic name: no space or newline), and ARGV[4..] the
 * events' data, in order. So a batch of n events is 3 + n arguments, not 6 per event: each argument
 * costs ioredis (a conversion and a length) and Redis (an object) however small it is.
 *
 * Answers one string: the answers of its calls, in order, one a line, each what the single script
 * answers (one reply to decode rather than an array of them). A client sends a script call again
 * whole, so one record, holding that answer, makes it store its events once: one GET and SET per
 * call rather than per event, so that an event without a key costs Redis one XADD. A call under a
 * key still finds its own record, written by any earlier call.
 *
 * It publishes the events it stored as one message, so that every instance receives and decodes
 * them at once (envelope.ts): the version 2 envelope when it stored several, version 1 when it
 * stored one.
 */
export const publishBatchScript = (publishCommand: PubSub['publishCommand']): string => `
${STORE_ONE}
local done = redis.call('GET', KEYS[3])
if done then
  return done
end
local ids, parts, count, keyed, a = {}, { '2\\n', '', '\\n' }, 0, 3, 3
local id, new
for at, length, keep, fingerprint, type in
    string.gmatch(ARGV[3], '([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^\\n]*)\\n') do
  a = a + 1
  local data = ARGV[a]
  if fingerprint == '' then
    id, new = append(data, type, at), true
  else
    keyed = keyed + 1
    id, new = storeOne(KEYS[keyed], data, type, at, keep, fingerprint)
  end
  ids[#ids + 1] = id
  if new then
    count = count + 1
    local n = #parts
    parts[n + 1] = id
    parts[n + 2] = '\\n'
    parts[n + 3] = type
    parts[n + 4] = '\\n'
    parts[n + 5] = at
    parts[n + 6] = '\\n'
    parts[n + 7] = length
    parts[n + 8] = '\\n'
    parts[n + 9] = data
  end
end
local answer = table.concat(ids, '\\n')
redis.call('SET', KEYS[3], answer, 'PX', ARGV[2])
if count == 1 then
  local type, at, data
  id, type, at, data = parts[4], parts[6], parts[8], parts[12]
  redis.call('${publishCommand}', KEYS[2], ${ENVELOPE_ONE})
elseif count > 1 then
  parts[2] = count
  redis.call('${publishCommand}', KEYS[2], table.concat(parts))
end
if count > 0 then
${TRIM}
end
return answer
`;

/** One call of a batch, as the batch script takes it. */
export interface BatchCall {
  event: { data: string; type?: string };
  publishedAt: number;
  /** How long the call's own record is kept, in ms (a call under an Idempotency-Key). */
  keepMs: number;
  /** The call's fingerprint under an Idempotency-Key; '' for a call without one. */
  fingerprint: string;
}

/**
 * The batch script's ARGV for `calls`: the max length, how long the script call's record is kept,
 * one line per call, then each call's data. (Its KEYS are the caller's: the records of the calls
 * under a key follow the script call's own, in order.)
 */
export function publishBatchArgs(
  maxLength: number,
  keepMs: number,
  calls: readonly BatchCall[],
): (string | number)[] {
  const args: (string | number)[] = [maxLength, keepMs, ''];
  let lines = '';
  for (const { event, publishedAt, keepMs: keep, fingerprint } of calls) {
    // A call without a key has no record of its own: no keep, no fingerprint.
    lines += `${publishedAt} ${event.data.length} ${fingerprint === '' ? '' : keep} ${fingerprint} ${event.type ?? ''}\n`;
    args.push(event.data);
  }
  args[2] = lines;
  return args;
}

/** The publish script as `defineCommand('ripplePublish', ...)` makes it: its KEYS, then its ARGV. */
export interface PublishCommand {
  ripplePublish(
    log: string,
    live: string,
    published: string,
    maxLength: number,
    data: string,
    type: string,
    publishedAt: number,
    keepPublishedMs: number,
    /** Under an Idempotency-Key; absent (or '') for none. */
    fingerprint?: string,
  ): Promise<string>;
}

/**
 * READ_SCRIPT: KEYS[1] the topic's stream; ARGV[1] the position to read after ('' for none);
 * ARGV[2] how many entries at most (a page).
 * Returns { last id, id of the last event trimmed away (for a stream never trimmed, its first
 * entry's: see APPEND), entries after the position }, read in one
 * step so that the three agree. Entries are read only when the position lies between the two:
 * outside, the caller resets. A position that is not an id Redis can hold (a part past uint64)
 * reads nothing rather than reaching XRANGE, which would fail the script; callers check it first
 * (wire/event-id.ts) and never send one. Ids are compared
 * as canonical decimal strings (by length, then bytewise), as Lua numbers lose precision past 2^53.
 */
export const READ_SCRIPT = `
${CMP}
local function part(p)
  return #p < 20 or (#p == 20 and p <= '18446744073709551615')
end
local function usable(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return ms ~= nil and part(ms) and part(seq)
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return { '0-0', '0-0', {} }
end
local info = redis.call('XINFO', 'STREAM', KEYS[1])
local last, deleted, length, added = '0-0', '0-0', 0, 0
for i = 1, #info, 2 do
  if info[i] == 'last-generated-id' then last = info[i + 1] end
  if info[i] == 'max-deleted-entry-id' then deleted = info[i + 1] end
  if info[i] == 'length' then length = info[i + 1] end
  if info[i] == 'entries-added' then added = info[i + 1] end
end
-- 0-0 is the cursor of a topic read before its first event: it misses nothing while the stream
-- holds every entry ever added (the mark of its creation, in deleted, stands for no entry).
if ARGV[1] == '0-0' and added == length then
  deleted = '0-0'
end
local entries = {}
if usable(ARGV[1]) and cmp(ARGV[1], last) <= 0 and cmp(ARGV[1], deleted) >= 0 then
  entries = redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', ARGV[2])
end
return { last, deleted, entries }
`;

/** What the publish script answered for one call. */
export interface PublishReply {
  id: string;
  /** Set when the call's record named an Idempotency-Key's earlier publish: its fingerprint. */
  storedFingerprint?: string;
}

/** Reads one answer of the publish script: a bare id, or `<id> <fingerprint>` from a record. */
export function parsePublishReply(reply: string): PublishReply {
  const space = reply.indexOf(' ');
  return space < 0
    ? { id: reply }
    : { id: reply.slice(0, space), storedFingerprint: reply.slice(space + 1) };
}
