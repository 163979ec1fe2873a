import { Module } from '@nestjs/common';
import { AsyncDemoController } from './async-demo.controller.js';
import { ClockProducer } from './clock.producer.js';
import { SystemProducer } from './system.producer.js';
import { TickerProducer } from './ticker.producer.js';

/**
 * The service's demo: the clock, ticker and system producers behind the page, and the seed's
 * `GET /async`. They are the service's, not the library's, so a host app gets none of them.
 * `ProducersModule` finds the producers here and runs those that `RIPPLE_PRODUCERS` names.
 */
@Module({
  controllers: [AsyncDemoController],
  providers: [ClockProducer, TickerProducer, SystemProducer],
})
export class DemoModule {}
