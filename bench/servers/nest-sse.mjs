/**
 * The NestJS baseline: the usual tutorial code, an @Sse() route over one shared Subject
 * (docs.nestjs.com/techniques/server-sent-events, nestjs/nest sample/28-sse), on the project's
 * installed @nestjs packages. Written as plain ESM, so the decorators are applied by hand, as
 * TypeScript's emitted __decorate calls would apply them.
 *   GET /events           @Sse(): subject.asObservable().pipe(map((data) => ({ data })))
 *   POST /events/:topic   @Post(): subject.next(body.data), 201 {"topic", "id"}
 */
import 'reflect-metadata';
import {
  Body,
  Controller,
  HttpCode,
  Inject,
  Injectable,
  Module,
  Param,
  Post,
  Sse,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Subject, map } from 'rxjs';
import { serveBench } from '../lib/server-control.mjs';

class EventBus {
  subject = new Subject();
}
Injectable()(EventBus);

class EventsController {
  ids = 0;
  constructor(bus) {
    this.bus = bus;
  }
  stream() {
    return this.bus.subject.asObservable().pipe(map((data) => ({ data })));
  }
  publish(topic, body) {
    this.bus.subject.next(body?.data);
    return { topic, id: String(++this.ids) };
  }
}
const proto = EventsController.prototype;
const decorateMethod = (decorator, key) =>
  Object.defineProperty(
    proto,
    key,
    decorator(proto, key, Object.getOwnPropertyDescriptor(proto, key)),
  );
Inject(EventBus)(EventsController, undefined, 0);
decorateMethod(Sse(), 'stream');
Param('topic')(proto, 'publish', 0);
Body()(proto, 'publish', 1);
decorateMethod(Post(':topic'), 'publish');
decorateMethod(HttpCode(201), 'publish');
Controller('events')(EventsController);

class AppModule {}
Module({ controllers: [EventsController], providers: [EventBus] })(AppModule);

const app = await NestFactory.create(AppModule, {
  forceCloseConnections: true,
  logger: ['error', 'warn'],
});
await app.listen(0, '127.0.0.1');
const bus = app.get(EventBus);

serveBench(
  'nest',
  {
    publish: (s, t, p) => bus.subject.next({ s, t, p }),
    subscribers: () => bus.subject.observers.length,
    close: () => app.close(),
  },
  app.getHttpServer().address().port,
);
