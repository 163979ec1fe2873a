import {
  Body,
  Controller,
  Headers,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Query,
  Res,
  UnsupportedMediaTypeException,
  UseGuards,
  UseInterceptors,
  type MessageEvent,
} from '@nestjs/common';
import type { Response } from 'express';
import type { Observable } from 'rxjs';
import { PublishGuard } from './auth/publish.guard.js';
import { SubscribeGuard } from './auth/subscribe.guard.js';
import { TokenExpiryInterceptor } from './auth/token-expiry.interceptor.js';
import { SseHub, type PublishedEvent } from './sse-hub.service.js';
import { BODY_NOT_JSON } from './sse.messages.js';
import { isJsonMediaType } from './validation/json-media-type.js';
import { checkPublishBody } from './validation/request-checks.js';
import { RippleSse } from './writer/ripple-sse.decorator.js';

@Controller('events')
export class EventsController {
  constructor(private readonly hub: SseHub) {}

  /**
   * `GET /events?topic=a&topic=b`. EventSource sends the cursor as the Last-Event-ID header on
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
  ): Observable<MessageEvent> {
    const fromQuery = typeof lastEventIdQuery === 'string' ? lastEventIdQuery : undefined;
    return this.hub.stream(topic as string[], lastEventIdHeader || fromQuery);
  }

  /**
   * Needs a publish grant for the topic; with no key configured, a loopback client. With an
   * `Idempotency-Key` header, the event is stored once per topic and key within the idempotency
   * window, and a retry gets the same answer.
   */
  @Post(':topic')
  @HttpCode(HttpStatus.CREATED)
  @UseGuards(PublishGuard)
  async publish(
    @Param('topic') topic: string,
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<PublishedEvent> {
    // The JSON parser reads exactly these (configureApp gives it the same predicate) and leaves
    // other media types unread, so for those the body is missing, not wrong.
    if (!isJsonMediaType(contentType)) {
      throw new UnsupportedMediaTypeException(BODY_NOT_JSON());
    }
    const { data, type } = checkPublishBody(body);
    const published = await this.hub.publish(topic, data, { type, idempotencyKey });
    // A retry gets the first answer; the header says that this one stored nothing.
    if (published.replayed) {
      response.setHeader('Idempotent-Replayed', 'true');
    }
    return { topic: published.topic, id: published.id };
  }
}
