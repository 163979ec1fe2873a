import { Injectable } from '@nestjs/common';
import { SseHub, type PublishedEvent } from 'nestjs-ripple';

export interface Order {
  id: number;
  item: string;
}

/** The app's own service: it publishes through the hub that the global SseModule provides. */
@Injectable()
export class OrdersService {
  constructor(private readonly hub: SseHub) {}

  placed(order: Order): Promise<PublishedEvent> {
    return this.hub.publish('orders', order, { type: 'placed' });
  }
}
