import type { Logger, MessageEvent } from '@nestjs/common';
import type { HubStream } from '../stream/hub-stream.js';
import type { StreamExpiry } from '../stream/stream-control.js';
import { STREAM_TOKEN_EXPIRED } from './auth.messages.js';
import { markGrantExpired, requestGrant } from './request-grant.js';
import { inRequestScope } from '../http/request-scope.js';

/** The last event of a stream whose token expired: the client should come back with a new one. */
export const TOKEN_EXPIRED_EVENT_TYPE = 'ripple.token-expired';

/**
 * Ends a stream of private topics when the token that opened it expires. The guard left the grant
 * on the request; a stream without one (public topics, or a token without `exp`) runs on. The
 * stream is given the expiry before it opens and ends itself then (StreamControl.endAt): it needs
 * no live event to know its cursor, so it keeps the fast path, and the writer may hold it.
 */
export function endAtTokenExpiry(stream: HubStream, request: object, logger: Logger): HubStream {
  stream.expiry = tokenExpiry(request, logger);
  return stream;
}

/** When the request's token expires, if it does, and what its stream's end then records. */
function tokenExpiry(request: object, logger: Logger): StreamExpiry | undefined {
  const at = requestGrant(request)?.expiresAt;
  if (at === undefined) {
    return undefined;
  }
  const onEnd = () => {
    markGrantExpired(request);
    inRequestScope(request, () => logger.debug(STREAM_TOKEN_EXPIRED()));
  };
  return { at, last: tokenExpired, onEnd };
}

/** The stream's last message: its id leaves the client's Last-Event-ID as it was. */
function tokenExpired(cursor: string): MessageEvent {
  return {
    id: cursor,
    type: TOKEN_EXPIRED_EVENT_TYPE,
    data: JSON.stringify({ reason: 'token-expired' }),
  };
}
