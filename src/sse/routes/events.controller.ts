import {
  Headers,
  HttpCode,
  HttpStatus,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Res,
  UnsupportedMediaTypeException,
  UseFilters,
  UseGuards,
  UseInterceptors,
  type MessageEvent,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Observable } from 'rxjs';
import { PublishGuard } from '../auth/publish.guard.js';
import { SubscribeGuard } from '../auth/subscribe.guard.js';
import { TokenExpiryInterceptor } from '../auth/token-expiry.interceptor.js';
import { checkRecent } from '../stream/recent-history.js';
import { SseHub, type PublishedEvent } from '../sse-hub.service.js';
import { SSE_OPTIONS } from '../sse.constants.js';
import { BODY_NOT_JSON } from '../sse.messages.js';
import type { ResolvedSseOptions } from '../sse-options.interface.js';
import { isJsonMediaType } from '../validation/json-media-type.js';
import { checkPublishBody } from '../validation/request-checks.js';
import { RippleSse } from '../writer/ripple-sse.decorator.js';
import { ENVELOPE_BYTES, readPublishBody } from './publish-body.js';
import { SseExceptionFilter } from './sse-exception.filter.js';

/**
 * The stream and publish routes, mounted at the `routes` extra's `path` (mountRoutes). Their
 * refusals carry the module's JSON shape whatever the host's own filters do.
 */
@UseFilters(SseExceptionFilter)
export class EventsController {
  private readonly bodyLimit: number;

  constructor(
    private readonly hub: SseHub,
    @Inject(SSE_OPTIONS) options: ResolvedSseOptions,
  ) {
    this.bodyLimit = options.maxPayloadBytes + ENVELOPE_BYTES;
  }

  /**
   * `GET /<path>?topic=a&topic=b`. EventSource sends the cursor as the Last-Event-ID header on
   * reconnect; the query parameter serves clients that cannot set headers. Private topics need a
   * subscribe grant, and the stream ends when its token expires.
   */
  @UseGuards(SubscribeGuard)
  @UseInterceptors(TokenExpiryInterceptor)
  // Last, so that its writer is the outermost interceptor: it writes what the others let through.
  @RippleSse()
  stream(
    @Query('topic') topic: unknown,
    @Query('lastEventId') lastEventIdQuery: unknown,
    @Headers('last-event-id') lastEventIdHeader: string | undefined,
    @Query('last') last: unknown,
    @Query('since') since: unknown,
  ): Observable<MessageEvent> {
    const fromQuery = typeof lastEventIdQuery === 'string' ? lastEventIdQuery : undefined;
    const recent = checkRecent(last, since);
    return this.hub.stream(topic as string[], lastEventIdHeader || fromQuery, recent);
  }

  /**
   * `POST /<path>/:topic` with `{"data": <any JSON>, "type"?: "name"}`. Needs a publish grant for
   * the topic; with no key configured, a loopback client. With an `Idempotency-Key` header, the
   * event is stored once per topic and key within the idempotency window, and a retry gets the
   * same answer.
   */
  @Post(':topic')
  @HttpCode(HttpStatus.CREATED)
  @UseGuards(PublishGuard)
  async publish(
    @Param('topic') topic: string,
    @Req() request: Request,
    @Headers('content-type') contentType: string | undefined,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<PublishedEvent> {
    // Before the body is read: another media type's body is not worth reading.
    if (!isJsonMediaType(contentType)) {
      throw new UnsupportedMediaTypeException(BODY_NOT_JSON());
    }
    const { data, type } = checkPublishBody(await readPublishBody(request, this.bodyLimit));
    const published = await this.hub.publish(topic, data, { type, idempotencyKey });
    // A retry gets the first answer; the header says that this one stored nothing.
    if (published.replayed) {
      response.setHeader('Idempotent-Replayed', 'true');
    }
    return { topic: published.topic, id: published.id };
  }
}
