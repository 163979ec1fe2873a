import { Controller, Headers } from '@nestjs/common';
import { RippleSse, SseHub } from 'nestjs-ripple';

@Controller('orders')
export class OrdersController {
  constructor(private readonly hub: SseHub) {}

  // GET /orders/live: the orders topic, resumed from Last-Event-ID when the client sends one.
  @RippleSse('live')
  live(@Headers('last-event-id') lastEventId?: string) {
    return this.hub.stream(['orders'], lastEventId);
  }
}
