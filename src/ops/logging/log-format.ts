import type { LogSettings } from '../../config/ripple.config.js';

export type LogFormat = 'json' | 'pretty';

/**
 * JSON lines unless a person is reading: pretty when NODE_ENV is `development`, or when stdout is
 * a terminal outside production. `RIPPLE_LOG_FORMAT` overrides both.
 */
export function resolveLogFormat(settings: LogSettings, stdoutIsTty: boolean): LogFormat {
  if (settings.format) {
    return settings.format;
  }
  if (settings.nodeEnv === 'development') {
    return 'pretty';
  }
  return stdoutIsTty && settings.nodeEnv !== 'production' ? 'pretty' : 'json';
}
