import { resolveLogFormat } from './log-format.js';

describe('resolveLogFormat', () => {
  it.each([
    [{}, false, 'json'],
    [{}, true, 'pretty'],
    [{ nodeEnv: 'production' }, true, 'json'],
    [{ nodeEnv: 'production' }, false, 'json'],
    [{ nodeEnv: 'development' }, false, 'pretty'],
    [{ nodeEnv: 'test' }, false, 'json'],
    [{ nodeEnv: 'development', format: 'json' as const }, true, 'json'],
    [{ nodeEnv: 'production', format: 'pretty' as const }, false, 'pretty'],
  ])('%j with a TTY: %s -> %s', (settings, tty, format) => {
    expect(resolveLogFormat({ level: 'info', ...settings }, tty)).toBe(format);
  });
});
