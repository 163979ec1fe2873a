export const METRICS_LISTENING = (url: string) => `Metrics on ${url}`;

export const METRICS_ON_MAIN_PORT = () =>
  'Metrics on the main port (RIPPLE_METRICS_PORT=main): keep /metrics from the public in the proxy';

export const METRICS_PORT_FAILED = (host: string, port: number, reason: string) =>
  `Cannot serve metrics on ${host}:${port} (${reason}): set RIPPLE_METRICS_PORT to a free port, ` +
  '0 for any free one, main or off';

export const METRICS_NOT_HERE = () => 'Not Found: this listener serves GET /metrics only';

/** What Nest answers for a route it does not have, so that a disabled /metrics looks like none. */
export const NO_ROUTE = (method: string, path: string) => `Cannot ${method} ${path}`;
