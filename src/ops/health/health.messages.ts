export const SHUTTING_DOWN = () =>
  'Shutting down: open streams are being ended so that clients reconnect elsewhere';

export const NOT_READY = (down: string[]) => `Not ready: ${down.join('; ')}`;
