import { Controller, type DynamicModule, type Type } from '@nestjs/common';
import { SSE_ROUTES } from '../sse.constants.js';
import type { SseRoutesOptions } from '../sse-options.interface.js';
import { resolveSseRoutes } from '../sse-options.validation.js';
import { EventsController } from './events.controller.js';
import { HostParserErrors } from './host-parser-errors.js';
import { TopicsController } from './topics.controller.js';

/**
 * Adds the module's routes to its definition, at the paths the `routes` extra gives, or none.
 * Each import gets its own controller classes, so that two apps in one process (tests) can mount
 * them at different paths: Nest reads a controller's path from its class.
 */
export function mountRoutes(
  definition: DynamicModule,
  routes: false | SseRoutesOptions | undefined,
): DynamicModule {
  const mounted = resolveSseRoutes(routes);
  const providers = [...(definition.providers ?? []), { provide: SSE_ROUTES, useValue: mounted }];
  if (mounted === false) {
    return { ...definition, providers };
  }
  @Controller(mounted.path)
  class MountedEventsController extends EventsController {}
  const controllers: Type[] = [MountedEventsController];
  if (mounted.topicsPath !== false) {
    @Controller(mounted.topicsPath)
    class MountedTopicsController extends TopicsController {}
    controllers.push(MountedTopicsController);
  }
  return { ...definition, controllers, providers: [...providers, HostParserErrors] };
}
