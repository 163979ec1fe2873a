import { Inject } from '@nestjs/common';
import { LEADER_LOCK } from '../producers.constants.js';

/**
 * Injects the application's `LeaderLock`.
 * @example constructor(@InjectLeaderLock() private readonly lock: LeaderLock) {}
 */
export const InjectLeaderLock = (): PropertyDecorator & ParameterDecorator => Inject(LEADER_LOCK);
