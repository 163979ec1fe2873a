import { applyDecorators, Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { ProducerOptions } from './producer.interface.js';

/** The discoverable metadata behind `@Producer()`; the runner finds producers by its key. */
export const ProducerMetadata = DiscoveryService.createDecorator<ProducerOptions>();

/**
 * Makes a provider a producer: the class implements `ProducerTick` (with `intervalMs`) or
 * `ProducerStream`, and is listed in the `providers` of any module. It implies `@Injectable()`.
 *
 * @example @Producer({ name: 'clock', topic: 'clock', intervalMs: 1000 })
 */
export const Producer = (options: ProducerOptions): ClassDecorator =>
  applyDecorators(Injectable(), ProducerMetadata(options));
