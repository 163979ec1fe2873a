import { Module } from '@nestjs/common';
import { SseModule } from 'nestjs-ripple';
import { OrdersController } from './orders.controller.js';
import { OrdersService } from './orders.service.js';

@Module({
  imports: [SseModule.forRoot({ historySize: 1000, heartbeatMs: 15_000 })],
  controllers: [OrdersController],
  providers: [OrdersService],
})
export class AppModule {}
