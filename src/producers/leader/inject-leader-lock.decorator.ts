import { Inject } from '@nestjs/common';
import { LEADER_LOCK } from './leader-lock.interface.js';

/**
 * Injects the application's `LeaderLock`.
 * @example constructor(@InjectLeaderLock() private readonly lock: LeaderLock) {}
 */
export const InjectLeaderLock = (): PropertyDecorator & ParameterDecorator => Inject(LEADER_LOCK);
