import {
  BadRequestException,
  Headers,
  HttpStatus,
  Inject,
  Post,
  Req,
  Res,
  UnsupportedMediaTypeException,
  UseFilters,
  UseGuards,
  Get,
  Logger,
  StreamableFile,
} from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { throwError } from 'rxjs';
import { checkBatchGrant, PublishGuard } from '../auth/publish.guard.js';
import { SubscribeGuard } from '../auth/subscribe.guard.js';
import { endAtTokenExpiry } from '../auth/token-expiry.js';
import { TokenService } from '../auth/token.service.js';
import { SseHub } from '../sse-hub.service.js';
import { allowFastPath } from '../stream/hub-stream.js';
import { checkRecent } from '../stream/recent-history.js';
import { SSE_OPTIONS } from '../sse.constants.js';
import { BATCH_IDEMPOTENCY_KEY, BODY_NOT_JSON } from '../sse.messages.js';
import type { ResolvedSseOptions } from '../sse-options.interface.js';
import {
  isFastifyReply,
  rawRequest,
  setResponseHeader,
  type PlatformRequest,
  type PlatformResponse,
} from '../http/http-objects.js';
import { isJsonMediaType } from '../validation/json-media-type.js';
import { checkBatchBody, checkPublishBody } from '../validation/request-checks.js';
import { RequestQuery } from '../validation/request-query.js';
import { SseWriterInterceptor } from '../writer/sse-writer.interceptor.js';
import { ENVELOPE_BYTES, readPublishBody } from './publish-body.js';
import { SseExceptionFilter } from './sse-exception.filter.js';

/** What `GET /<path>` reads of its query, as sent (checked by the hub and checkRecent). */
interface StreamQuery {
  topic?: unknown;
  lastEventId?: unknown;
  last?: unknown;
  since?: unknown;
}

/**
 * The stream and publish routes, mounted at the `routes` extra's `path` (mountRoutes). Their
 * refusals carry the module's JSON shape whatever the host's own filters do.
 */
@UseFilters(SseExceptionFilter)
export class EventsController {
  private readonly bodyLimit: number;

  private readonly logger = new Logger(EventsController.name);

  constructor(
    private readonly hub: SseHub,
    private readonly writer: SseWriterInterceptor,
    private readonly tokens: TokenService,
    @Inject(SSE_OPTIONS) private readonly options: ResolvedSseOptions,
  ) {
    this.bodyLimit = options.maxPayloadBytes + ENVELOPE_BYTES;
  }

  /**
   * `GET /<path>?topic=a&topic=b`. EventSource sends the cursor as the Last-Event-ID header on
   * reconnect; the query parameter serves clients that cannot set headers. Private topics need a
   * subscribe grant, and the stream ends when its token expires.
   *
   * Not a `@RippleSse()` route, though it is sent as one: with nothing between its handler and
   * Ripple's writer, it hands its stream to the writer itself, and so has no interceptor of its
   * own. Nest then skips its interceptor chain (per request: an Observable, a Promise and an async
   * context per interceptor, and the handler's result tracked in a ReplaySubject), which every
   * opening of a reconnect storm paid (docs/performance.md). Guards, pipes, filters and the
   * application's global interceptors apply as to any route; the latter see what they see of a
   * `@RippleSse()` route, a `StreamableFile` at the opening or the error that refused it. The
   * answer is a Promise, not an Observable: Nest awaits it, where it would pipe an Observable
   * through its tracking of the client's disconnect (the connection watches its client itself).
   */
  @Get()
  @UseGuards(SubscribeGuard)
  stream(
    // Parsed once for the guard and the handler (see requestQuery).
    @RequestQuery() query: StreamQuery,
    @Headers('last-event-id') lastEventIdHeader: string | undefined,
    @Req() request: PlatformRequest,
    // Passed through: Nest still answers the route (with what the writer gives it).
    @Res({ passthrough: true }) response: PlatformResponse,
  ): Promise<StreamableFile> {
    return this.writer.opening(request, response, {
      // Called by the writer once the stream has its place, and failing as Nest's chain would
      // make it fail: an Observable that errors, which the writer counts as a refusal.
      handle: () => {
        try {
          const { topic, lastEventId, last, since } = query;
          const fromQuery = typeof lastEventId === 'string' ? lastEventId : undefined;
          const recent = checkRecent(last, since);
          const stream = this.hub.stream(topic as string[], lastEventIdHeader || fromQuery, recent);
          // Everything the writer may do with a hub stream: nothing stands between them.
          allowFastPath(stream, true);
          return endAtTokenExpiry(stream, request, this.logger);
        } catch (err) {
          return throwError(() => err);
        }
      },
    });
  }

  /**
   * `POST /<path>/:topic` with `{"data": <any JSON>, "type"?: "name"}`. Needs a publish grant for
   * the topic; with no key configured, a loopback client. With an `Idempotency-Key` header, the
   * event is stored once per topic and key within the idempotency window, and a retry gets the
   * same answer.
   */
  @Post(':topic')
  @UseGuards(PublishGuard)
  async publish(@Req() request: PublishRequest, @Res() response: PlatformResponse): Promise<void> {
    const { data, type } = checkPublishBody(await readJsonBody(request, this.bodyLimit));
    const published = await this.hub.publish(request.params.topic, data, {
      type,
      idempotencyKey: request.headers['idempotency-key'] as string | undefined,
    });
    // A retry gets the first answer; the header says that this one stored nothing.
    if (published.replayed) {
      setResponseHeader(response, 'Idempotent-Replayed', 'true');
    }
    answerCreated(response, { topic: published.topic, id: published.id });
  }

  /**
   * `POST /<path>` with `{"events": [{"topic", "data", "type"?}, ...]}`: several events, possibly
   * to several topics, in one request, answered `{"events": [{"topic", "id"}, ...]}` in their
   * order. All or nothing: every event is checked (and granted) before any is published.
   */
  @Post()
  @UseGuards(PublishGuard)
  async publishBatch(
    @Req() request: PublishRequest,
    @Res() response: PlatformResponse,
  ): Promise<void> {
    // A key per batch could not say which of its events a retry would repeat.
    if (request.headers['idempotency-key'] !== undefined) {
      throw new BadRequestException(BATCH_IDEMPOTENCY_KEY());
    }
    const body = await readJsonBody(request, this.options.maxBatchBytes);
    const events = checkBatchBody(body, this.options.maxBatchEvents);
    checkBatchGrant(
      request,
      events.map((event) => event.topic),
      this.tokens.keyConfigured,
    );
    answerCreated(response, { events: await this.hub.publishMany(events) });
  }
}

/** What the publish routes read of the platform's request (Express's, or Fastify's). */
type PublishRequest = PlatformRequest & {
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
  body?: unknown;
};

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * A 201 with its JSON body, written here in one piece rather than through Nest's reply and
 * Express's res.json: they would add an ETag (a hash of every answer, of no use to a POST) and
 * write headers and body in two chunks. The answer's shape is the route's own, whatever a host's
 * global interceptors would make of a handler's return value. On Fastify it goes through the
 * reply, which adds no ETag, so that the reply knows it was sent and its hooks run.
 */
function answerCreated(response: PlatformResponse, body: object): void {
  const text = JSON.stringify(body);
  if (isFastifyReply(response)) {
    response.code(HttpStatus.CREATED).header('Content-Type', JSON_TYPE).send(text);
    return;
  }
  response.statusCode = HttpStatus.CREATED;
  response.setHeader('Content-Type', JSON_TYPE);
  response.end(text);
}

/** A publish's body: JSON only, checked before it is read (another media type is not worth it). */
function readJsonBody(request: PublishRequest, limit: number): Promise<unknown> {
  if (!isJsonMediaType(request.headers['content-type'])) {
    throw new UnsupportedMediaTypeException(BODY_NOT_JSON());
  }
  // A host's parser may have read it (Express puts the result on Node's request, Fastify on its own).
  return readPublishBody(rawRequest(request), limit, request.body);
}
