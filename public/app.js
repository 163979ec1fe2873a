// Ripple client page: one stream of /events for the live topics, through Ripple's client
// (/client.js), plus the /async seed demo. Plain ES module, no build step. uPlot comes from
// /vendor/uplot/ (node_modules/uplot/dist).

import { subscribe as rippleSubscribe } from './client.js';
//
// Debug handle for automated browser tests, read-only (every call returns a copy):
//   ripple.state         'connecting' | 'open' | 'reconnecting' | 'closed'
//   ripple.attempt       failed connection attempts since the stream was last open
//   ripple.lastEventId   cursor of the last event received ('' before the first)
//   ripple.instance      the instance shown as serving this page, or null
//   ripple.topics        the topics subscribed to (the topic box changes them)
//   ripple.states()      the last 50 state changes, oldest first: { state, at }
//   ripple.chartData()   the arrays given to uPlot: [x (epoch seconds), ...one per symbol]
//   ripple.symbols()     the series labels, in chartData() order
//   ripple.systemRows()  latest system figures per instance, sorted by instance
//   ripple.log()         the last 100 events, oldest first: { time, topic, type, id, cursor, data }
//                        (id: the event's own id, '' when the cursor does not tell; cursor: the
//                        connection's whole cursor, as sent in the frame's id: field)
//   ripple.resets()      the payloads of every ripple.reset received
//   ripple.resumes()     every reopen after a drop: { droppedAt, openedAt, caughtUp, resetTopics }
//                        (caughtUp: events published before the reopen, null when untimed)
//   ripple.asyncDemo()   { status: 'idle' | 'running' | 'done' | 'failed', messages }

const DEFAULT_TOPICS = ['clock', 'ticker', 'system'];
const TOPIC_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const RESERVED_PREFIX = 'ripple.';
const RESET_TYPE = 'ripple.reset';
// The server's default RIPPLE_MAX_TOPICS_PER_CONNECTION; a longer list would be refused.
const MAX_TOPICS = 32;
const WINDOW_S = 120;
const LOG_SIZE = 100;
const LOG_DATA_CHARS = 240;
const STALE_MS = 5000;
const RESUME_WINDOW_MS = 1500;
const STATES_KEPT = 50;
const SERIES_COLORS = 6;

const $ = (id) => document.getElementById(id);
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const fixed = (v, digits) => (Number.isFinite(v) ? v.toFixed(digits) : '–');
const megabytes = (bytes) => fixed(bytes / 1048576, 1);
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
// Ripple's own events (ripple.reset) are named ripple.*; a topic of that name would pass for one.
const isReserved = (name) => name.startsWith(RESERVED_PREFIX);

const clockFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});
const logTimeFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  fractionalSecondDigits: 3,
  hour12: false,
});

// A page opened as /?topic=a&topic=b watches those topics instead, handy for custom publishers.
let topics = (() => {
  const asked = new URLSearchParams(location.search).getAll('topic');
  const valid = [...new Set(asked.filter((t) => TOPIC_RE.test(t) && !isReserved(t)))];
  return valid.length ? valid.slice(0, MAX_TOPICS) : DEFAULT_TOPICS;
})();

let sub = null;
const conn = {
  state: 'closed',
  attempt: 0,
  lastEventId: '',
  // A lower bound of (server clock - page clock): the largest (publish time - arrival time) seen.
  offsetMs: -Infinity,
  // When the open stream was lost (0 while nothing was lost), and the catch-up being counted.
  droppedAt: 0,
  resume: null,
};
const states = [];
const chart = { UPlot: null, plot: null, xs: [], series: new Map(), drawQueued: false, gap: false };
const systems = new Map(); // instance -> { data, receivedAt, row }
const instanceView = { servedBy: null, latestSystem: null };
const eventLog = [];
const log = { held: 0 };
const resets = [];
const resumes = [];
const demo = { status: 'idle', messages: [] };

// ---------------------------------------------------------------------------------------------
// Connection: Ripple's client (/client.js, nestjs-ripple/client) reconnects, resumes and backs
// off; the page only shows what it reports.

function streamUrl() {
  return `events?${new URLSearchParams(topics.map((topic) => ['topic', topic]))}`;
}

function connect() {
  sub?.close();
  sub = rippleSubscribe({
    url: 'events',
    topics,
    cursor: conn.lastEventId || undefined,
    // The chart spans WINDOW_S: open with what the server holds of it, then live. No cursor kept
    // across a reload: the page's state goes with it, and the history rebuilds it.
    history: { since: Date.now() - WINDOW_S * 1000 },
    onEvent: onStreamEvent,
    onReset: onStreamReset,
    onState: onStreamState,
  });
}

function disconnect() {
  sub?.close();
  sub = null;
}

/** Streams `next` instead: the topics kept resume from their cursor, the others start anew. */
function subscribe(next) {
  if (conn.resume) finishResume();
  topics = next;
  conn.attempt = 0;
  const query = new URLSearchParams(topics.map((topic) => ['topic', topic]));
  const isDefault = topics.join() === DEFAULT_TOPICS.join();
  history.replaceState(null, '', isDefault ? location.pathname : `?${query}`);
  $('stream-url').textContent = `/${streamUrl()}`;
  if (sub) sub.setTopics(next);
  else connect();
}

function onStreamState(change) {
  if (change.state !== 'open' && conn.state === 'open') noteDrop();
  if (change.state === 'reconnecting') conn.attempt = change.attempt;
  if (change.state === 'open') {
    conn.attempt = 0;
    if (conn.droppedAt) startResume();
  }
  setState(change.state, change.delayMs ?? 0);
}

/** Remembers when an open stream was lost, so that its reopening can say what it caught up. */
function noteDrop() {
  if (conn.resume) finishResume();
  if (conn.state === 'open') conn.droppedAt = Date.now();
}

function setState(state, retryInMs = 0) {
  conn.state = state;
  states.push({ state, at: Date.now() });
  if (states.length > STATES_KEPT) states.shift();
  $('conn-state').dataset.state = state;
  $('conn-state-text').textContent = stateLabel(state, retryInMs);
  $('conn-toggle').textContent = state === 'closed' ? 'Connect' : 'Disconnect';
}

function stateLabel(state, retryInMs) {
  if (state === 'connecting') return 'Connecting…';
  if (state === 'open') return 'Open';
  if (state === 'closed') return 'Closed';
  const when = retryInMs ? ` in ${Math.ceil(retryInMs / 1000)} s` : '…';
  return `Reconnecting (attempt ${conn.attempt})${when}`;
}

// ---------------------------------------------------------------------------------------------
// Catching up
//
// An event's own id is `<publish time in ms>-<seq>`.

function publishTime(id) {
  return id ? Number(id.slice(0, id.indexOf('-'))) : NaN;
}

// After a reopen, the server first sends what was published while the page was away, then live
// events. It does not mark where one ends, so the page tells them apart by publish time: an event
// counts as caught up when it was published before the reopen, on the server's clock. The page
// knows that clock only up to offsetMs, a lower bound (no event arrives before it is published),
// which makes the count never too high; without any event timed before the drop, it gives none.
function startResume() {
  const openedAt = Date.now();
  conn.resume = {
    droppedAt: conn.droppedAt,
    openedAt,
    timed: Number.isFinite(conn.offsetMs),
    caughtUp: 0,
    resetTopics: [],
    timer: setTimeout(finishResume, RESUME_WINDOW_MS),
  };
  conn.droppedAt = 0;
}

function countCatchUp(type, publishedAt, data) {
  const resume = conn.resume;
  if (!resume) return;
  if (type === RESET_TYPE) {
    if (isObject(data) && Array.isArray(data.topics)) resume.resetTopics.push(...data.topics);
    return;
  }
  if (!Number.isFinite(publishedAt)) return;
  if (resume.timed && publishedAt >= resume.openedAt + conn.offsetMs) {
    finishResume();
    return;
  }
  resume.caughtUp += 1;
}

function finishResume() {
  const resume = conn.resume;
  if (!resume) return;
  conn.resume = null;
  clearTimeout(resume.timer);
  const entry = {
    droppedAt: resume.droppedAt,
    openedAt: resume.openedAt,
    caughtUp: resume.timed ? resume.caughtUp : null,
    resetTopics: [...new Set(resume.resetTopics)],
  };
  resumes.push(entry);
  showResumeNotice(entry);
}

function showResumeNotice({ droppedAt, openedAt, caughtUp, resetTopics }) {
  const resumed = topics.filter((topic) => !resetTopics.includes(topic));
  // When nothing could be resumed, the reset notice says all there is to say.
  if (resumed.length === 0) return;
  const away = openedAt - droppedAt;
  const after = `after ${away < 1000 ? 'less than a second' : `${Math.round(away / 1000)} s`} away`;
  let text = `Reconnected ${after}`;
  if (caughtUp === null) text += '.';
  else if (caughtUp === 0) text += '; nothing was missed.';
  else text += `, and caught up ${plural(caughtUp, 'event')} published meanwhile.`;
  if (resetTopics.length) text += ` Not resumed: ${resetTopics.join(', ')} (see above).`;
  $('resume-text').textContent = text;
  $('resume-notice').hidden = false;
}

// ---------------------------------------------------------------------------------------------
// Events

const HANDLERS = new Map([
  ['clock', onClock],
  ['ticker', onTicker],
  ['system', onSystem],
  // Optional: lets the server say which instance holds this connection (see renderInstance).
  ['ripple.hello', onHello],
]);

function onStreamEvent(event) {
  const receivedAt = Date.now();
  conn.lastEventId = event.cursor;
  const publishedAt = publishTime(event.id);
  if (Number.isFinite(publishedAt)) {
    conn.offsetMs = Math.max(conn.offsetMs, publishedAt - receivedAt);
  }
  countCatchUp(event.type, publishedAt, event.data);
  addLogEntry({
    time: receivedAt,
    topic: event.topic,
    type: event.type,
    id: event.id,
    cursor: event.cursor,
    data: event.data,
  });
  HANDLERS.get(event.type)?.(event.data);
}

function onStreamReset(reason, named) {
  const data = { reason, topics: named };
  conn.lastEventId = sub?.cursor ?? conn.lastEventId;
  countCatchUp(RESET_TYPE, NaN, data);
  addLogEntry({
    time: Date.now(),
    topic: RESET_TYPE,
    type: RESET_TYPE,
    id: '',
    cursor: conn.lastEventId,
    data,
  });
  onReset(data);
}

function parseData(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function onClock(data) {
  if (!isObject(data) || !Number.isFinite(data.epochMs)) return;
  const time = $('clock-time');
  time.textContent = clockFormat.format(data.epochMs);
  time.dateTime = new Date(data.epochMs).toISOString();
  $('clock-lag').textContent = `${Math.round(Date.now() - data.epochMs)} ms`;
}

function onHello(data) {
  if (!isObject(data) || typeof data.instance !== 'string') return;
  instanceView.servedBy = data.instance;
  renderInstance();
}

function onReset(data) {
  resets.push(data);
  const reason =
    isObject(data) && typeof data.reason === 'string' ? data.reason : 'no reason given';
  const named = isObject(data) && Array.isArray(data.topics) ? data.topics : topics;
  $('reset-text').textContent =
    `The server could not resume where this page left off (${reason}; topics: ` +
    `${named.join(', ')}). Events sent in between were missed; what follows is live.`;
  $('reset-notice').hidden = false;
  // Break the price lines rather than draw a straight segment across the missed stretch.
  if (named.includes('ticker')) chart.gap = true;
}

// ---------------------------------------------------------------------------------------------
// Ticker chart

function onTicker(data) {
  // Anyone allowed to publish may post to "ticker", so only well-formed points reach the chart.
  if (!isObject(data) || !Number.isFinite(data.ts) || !isObject(data.prices)) return;
  const prices = new Map(Object.entries(data.prices).filter(([, v]) => Number.isFinite(v)));
  if (prices.size === 0) return;

  let seriesChanged = false;
  for (const symbol of prices.keys()) {
    if (chart.series.has(symbol)) continue;
    chart.series.set(
      symbol,
      chart.xs.map(() => null),
    );
    seriesChanged = true;
  }
  const x = data.ts / 1000;
  if (chart.gap && chart.xs.length && x > chart.xs.at(-1)) insertPoint(x - 0.001, new Map());
  chart.gap = false;
  insertPoint(x, prices);
  seriesChanged = trimWindow() || seriesChanged;

  renderPrices(prices);
  if (seriesChanged) buildChart();
  else queueDraw();
}

// Replayed history and several publishers can deliver points out of order; uPlot needs sorted x.
function insertPoint(x, prices) {
  let i = chart.xs.length;
  while (i > 0 && chart.xs[i - 1] > x) i--;
  const same = i > 0 && chart.xs[i - 1] === x;
  if (!same) chart.xs.splice(i, 0, x);
  for (const [symbol, ys] of chart.series) {
    const y = prices.get(symbol) ?? null;
    if (same) ys[i - 1] = y;
    else ys.splice(i, 0, y);
  }
}

// Returns true when a symbol that left the feed was dropped, so the chart needs rebuilding.
function trimWindow() {
  const cutoff = chart.xs.at(-1) - WINDOW_S;
  let n = 0;
  while (n < chart.xs.length && chart.xs[n] < cutoff) n++;
  if (n === 0) return false;
  chart.xs.splice(0, n);
  let dropped = false;
  for (const [symbol, ys] of chart.series) {
    ys.splice(0, n);
    if (ys.every((y) => y === null)) {
      chart.series.delete(symbol);
      dropped = true;
    }
  }
  return dropped;
}

function chartData() {
  return [chart.xs.slice(), ...[...chart.series.values()].map((ys) => ys.slice())];
}

function seriesColorVar(index) {
  return `--series-${(index % SERIES_COLORS) + 1}`;
}

function renderPrices(prices) {
  const list = $('prices');
  const symbols = [...chart.series.keys()];
  const items = symbols.map((symbol, index) => {
    let item = list.querySelector(`li[data-symbol="${CSS.escape(symbol)}"]`);
    if (!item) item = createPriceItem(symbol);
    item.style.setProperty('--swatch', `var(${seriesColorVar(index)})`);
    const price = prices.get(symbol);
    if (price !== undefined) {
      const previous = Number(item.dataset.price);
      item.dataset.trend = price > previous ? 'up' : price < previous ? 'down' : 'flat';
      item.dataset.price = String(price);
      item.querySelector('.price').textContent = price.toFixed(2);
    }
    return item;
  });
  list.replaceChildren(...items);
}

function createPriceItem(symbol) {
  const item = document.createElement('li');
  item.dataset.symbol = symbol;
  const name = document.createElement('span');
  name.className = 'symbol';
  name.textContent = symbol;
  const price = document.createElement('span');
  price.className = 'price';
  item.append(name, ' ', price);
  return item;
}

async function loadChartLibrary() {
  try {
    chart.UPlot = (await import('./vendor/uplot/uPlot.esm.js')).default;
  } catch {
    $('chart').replaceChildren(placeholder('Chart unavailable: uPlot could not be loaded.'));
    return;
  }
  if (chart.series.size) buildChart();
}

function placeholder(text) {
  const p = document.createElement('p');
  p.className = 'placeholder';
  p.textContent = text;
  return p;
}

// Rebuilt rather than patched when the symbols or the colour scheme change: rare, and simpler.
function buildChart() {
  if (!chart.UPlot || chart.series.size === 0) return;
  chart.plot?.destroy();
  const el = $('chart');
  el.replaceChildren();
  const css = getComputedStyle(document.documentElement);
  const color = (name) => css.getPropertyValue(name).trim();
  const axis = {
    stroke: color('--muted'),
    grid: { stroke: color('--grid'), width: 1 },
    ticks: { stroke: color('--grid'), width: 1 },
  };
  const symbols = [...chart.series.keys()];
  chart.plot = new chart.UPlot(
    {
      width: el.clientWidth,
      height: chartHeight(el),
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true, range: (_u, _min, max) => windowRange(max) } },
      // One short label per tick: uPlot's default two-line date labels collide on a phone.
      axes: [
        {
          ...axis,
          space: 80,
          values: (_u, ticks) => ticks.map((t) => clockFormat.format(t * 1000)),
        },
        { ...axis, size: 56 },
      ],
      series: [
        {},
        ...symbols.map((label, index) => ({
          label,
          stroke: color(seriesColorVar(index)),
          width: 2,
          points: { show: false },
        })),
      ],
    },
    chartData(),
    el,
  );
}

// A fixed-width window that slides with the newest point, rather than one that grows from the first.
function windowRange(max) {
  const end = Number.isFinite(max) ? max : Date.now() / 1000;
  return [end - WINDOW_S, end];
}

function chartHeight(el) {
  return el.clientWidth < 480 ? 220 : 300;
}

// Ticks arrive several times a second; drawing once per frame is plenty and idles in hidden tabs.
function queueDraw() {
  if (chart.drawQueued || !chart.plot) return;
  chart.drawQueued = true;
  requestAnimationFrame(() => {
    chart.drawQueued = false;
    chart.plot?.setData(chartData());
  });
}

function watchChartSize() {
  const el = $('chart');
  let width = el.clientWidth;
  new ResizeObserver(() => {
    if (!chart.plot || el.clientWidth === width) return;
    width = el.clientWidth;
    chart.plot.setSize({ width, height: chartHeight(el) });
  }).observe(el);
}

// ---------------------------------------------------------------------------------------------
// Instances

function onSystem(data) {
  if (!isObject(data) || typeof data.instance !== 'string' || !data.instance) return;
  let entry = systems.get(data.instance);
  if (!entry) {
    entry = { row: createSystemRow(data.instance) };
    systems.set(data.instance, entry);
    insertSystemRow(entry.row, data.instance);
  }
  entry.data = data;
  entry.receivedAt = Date.now();
  fillSystemRow(entry);
  instanceView.latestSystem = data.instance;
  renderInstance();
}

const SYSTEM_COLUMNS = [
  ['CPU %', (d) => fixed(d.cpuPercent, 1)],
  ['RSS MB', (d) => megabytes(d.rssBytes)],
  ['Heap MB', (d) => megabytes(d.heapUsedBytes)],
  ['Loop delay ms', (d) => fixed(d.eventLoopDelayMs, 1)],
  ['Connections', (d) => (Number.isFinite(d.connections) ? String(d.connections) : '–')],
];

function createSystemRow(instance) {
  const row = document.createElement('tr');
  row.setAttribute('role', 'row');
  row.dataset.instance = instance;
  const name = document.createElement('th');
  name.scope = 'row';
  name.setAttribute('role', 'rowheader');
  name.dataset.label = 'Instance';
  name.textContent = instance;
  row.append(name);
  for (const [label] of [...SYSTEM_COLUMNS, ['Last update']]) {
    const cell = document.createElement('td');
    cell.setAttribute('role', 'cell');
    cell.dataset.label = label;
    if (label !== 'Last update') cell.className = 'num';
    row.append(cell);
  }
  return row;
}

function insertSystemRow(row, instance) {
  const body = $('system-rows');
  body.querySelector('.empty')?.remove();
  const next = [...body.rows].find((r) => r.dataset.instance > instance);
  body.insertBefore(row, next ?? null);
}

function fillSystemRow({ row, data }) {
  SYSTEM_COLUMNS.forEach(([, format], i) => {
    row.cells[i + 1].textContent = format(data);
  });
  markStaleness(row, data, false);
}

// An instance that stops reporting (crashed, scaled in) stays listed, but visibly out of date.
function markStaleness(row, data, stale) {
  row.classList.toggle('is-stale', stale);
  const updated = Number.isFinite(data.ts) ? clockFormat.format(data.ts) : '–';
  row.cells[SYSTEM_COLUMNS.length + 1].textContent = stale ? `${updated} (stale)` : updated;
}

function refreshStaleness() {
  const now = Date.now();
  for (const { row, data, receivedAt } of systems.values()) {
    const stale = now - receivedAt > STALE_MS;
    if (stale !== row.classList.contains('is-stale')) markStaleness(row, data, stale);
  }
}

function systemRows() {
  const now = Date.now();
  return [...systems.keys()].sort().map((instance) => {
    const { data, receivedAt } = systems.get(instance);
    return { ...data, receivedAt, stale: now - receivedAt > STALE_MS };
  });
}

// Every instance's system events reach every client, so the latest one names this page's instance
// only when there is a single instance; a ripple.hello from the server, if sent, is exact.
function renderInstance() {
  const { servedBy, latestSystem } = instanceView;
  $('instance').textContent = servedBy ?? latestSystem ?? 'unknown';
  const note = $('instance-note');
  const ambiguous = !servedBy && systems.size > 1;
  note.hidden = !ambiguous;
  note.textContent = ambiguous ? `(latest of ${systems.size} reporting)` : '';
}

// ---------------------------------------------------------------------------------------------
// Event log

function addLogEntry(entry) {
  eventLog.push(entry);
  if (eventLog.length > LOG_SIZE) eventLog.shift();
  if (isLogPaused()) {
    log.held = Math.min(log.held + 1, LOG_SIZE);
    $('log-held').textContent = `${log.held}${log.held === LOG_SIZE ? '+' : ''} new held back`;
    $('log-held').hidden = false;
    return;
  }
  const body = $('log-rows');
  body.prepend(logRow(entry));
  while (body.rows.length > LOG_SIZE) body.lastElementChild.remove();
}

function isLogPaused() {
  return $('log-pause').dataset.active === 'true';
}

function toggleLogPause() {
  const paused = !isLogPaused();
  // The label says what a press does, so it is no aria-pressed toggle (its name would lie).
  $('log-pause').dataset.active = String(paused);
  $('log-pause').textContent = paused ? 'Resume' : 'Pause';
  if (paused) return;
  log.held = 0;
  $('log-held').hidden = true;
  renderLog();
}

function renderLog() {
  $('log-rows').replaceChildren(...eventLog.map(logRow).reverse());
}

function logRow({ time, topic, type, id, cursor, data }) {
  const row = document.createElement('tr');
  row.setAttribute('role', 'row');
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  const shown = text.length > LOG_DATA_CHARS ? `${text.slice(0, LOG_DATA_CHARS)}…` : text;
  const cells = [
    ['Time', logTimeFormat.format(time), 'time'],
    ['Topic', topic, 'topic'],
    ['Type', type, type === topic ? 'type' : 'type custom'],
    ['Id', id || '–', 'id'],
    ['Data', shown, 'data'],
  ];
  for (const [label, value, className] of cells) {
    const cell = document.createElement('td');
    cell.setAttribute('role', 'cell');
    cell.dataset.label = label;
    cell.className = className;
    cell.textContent = value;
    row.append(cell);
  }
  if (cursor) row.cells[3].title = `Cursor: ${cursor}`;
  return row;
}

// ---------------------------------------------------------------------------------------------
// Topics and publishing

/** The topics named in the topic box, checked as the server would: { topics } or { error }. */
function parseTopics(text) {
  const names = [...new Set(text.split(/[\s,]+/).filter(Boolean))];
  if (names.length === 0) return { error: 'Name at least one topic.' };
  const bad = names.find((name) => !TOPIC_RE.test(name));
  if (bad !== undefined) {
    return {
      error:
        `"${bad}" is not a topic name: letters, digits and . _ : - only, up to 128 characters, ` +
        'starting with a letter or digit.',
    };
  }
  const reserved = names.find(isReserved);
  if (reserved !== undefined) {
    return { error: `"${reserved}": names starting with ${RESERVED_PREFIX} are Ripple's own.` };
  }
  if (names.length > MAX_TOPICS) {
    return { error: `${names.length} topics: one connection takes at most ${MAX_TOPICS}.` };
  }
  return { topics: names };
}

function onTopicsSubmit(event) {
  event.preventDefault();
  const input = $('topics-input');
  const parsed = parseTopics(input.value);
  if (parsed.error) {
    showFormStatus('topics-status', 'error', parsed.error, input);
    input.focus();
    return;
  }
  input.value = parsed.topics.join(', ');
  if (parsed.topics.join() === topics.join() && conn.state !== 'closed') {
    showFormStatus('topics-status', 'ok', `Already streaming ${topics.join(', ')}.`, input);
    return;
  }
  subscribe(parsed.topics);
  showFormStatus('topics-status', 'ok', `Streaming ${topics.join(', ')}.`, input);
}

/** Sets a form's status line; `field` is marked invalid on an error, valid otherwise. */
function showFormStatus(id, kind, text, field) {
  const status = $(id);
  status.dataset.kind = kind;
  status.textContent = text;
  if (!field) return;
  if (kind === 'error') field.setAttribute('aria-invalid', 'true');
  else field.removeAttribute('aria-invalid');
}

async function onPublishSubmit(event) {
  event.preventDefault();
  const button = $('publish-submit');
  if (button.getAttribute('aria-disabled') === 'true') return;
  const fields = ['publish-topic', 'publish-type', 'publish-data'].map($);
  for (const field of fields) field.removeAttribute('aria-invalid');
  const [topicField, typeField, dataField] = fields;
  const topic = topicField.value.trim();
  const type = typeField.value.trim();
  if (!topic) {
    showFormStatus('publish-result', 'error', 'Name the topic to publish to.', topicField);
    topicField.focus();
    return;
  }
  let data;
  try {
    data = JSON.parse(dataField.value);
  } catch (err) {
    showFormStatus('publish-result', 'error', `The data is not JSON: ${err.message}`, dataField);
    dataField.focus();
    return;
  }
  // Set before posting: the event can arrive on the stream before the answer does.
  button.setAttribute('aria-disabled', 'true');
  showFormStatus('publish-result', 'pending', `Publishing to ${topic}…`);
  try {
    const answer = await postEvent(topic, type ? { data, type } : { data });
    showPublishAnswer(topic, answer);
  } catch (err) {
    showFormStatus('publish-result', 'error', `The server could not be reached (${err.message}).`);
  } finally {
    button.removeAttribute('aria-disabled');
  }
}

async function postEvent(topic, body) {
  const res = await fetch(`events/${encodeURIComponent(topic)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, statusText: res.statusText, ok: res.ok, body: parseData(text) };
}

// The server's answer, as it gave it: 201 with the event's id, or its JSON error.
function showPublishAnswer(topic, { status, statusText, ok, body }) {
  if (ok) {
    const id = isObject(body) && typeof body.id === 'string' ? body.id : '?';
    const seen = topics.includes(topic)
      ? ''
      : ` This page does not stream ${topic}: add it under Topics to see its events.`;
    showFormStatus(
      'publish-result',
      'ok',
      `${status} ${statusText || 'Created'}: id ${id}.${seen}`,
    );
    return;
  }
  const error = isObject(body) && typeof body.error === 'string' ? body.error : statusText;
  const message = isObject(body) && body.message !== undefined ? body.message : body;
  const details = Array.isArray(message) ? message.join('; ') : String(message || 'no details');
  showFormStatus('publish-result', 'error', `${status} ${error}: ${details}`);
}

// ---------------------------------------------------------------------------------------------
// The /async seed demo

function runAsyncDemo() {
  if (demo.status === 'running') return;
  const button = $('async-run');
  // aria-disabled rather than disabled, so keyboard focus stays on the button while it runs.
  button.setAttribute('aria-disabled', 'true');
  demo.status = 'running';
  demo.messages = [];
  $('async-log').replaceChildren();
  $('async-status').textContent = 'Connecting to /async…';

  const source = new EventSource('async');
  const finish = (status, text) => {
    if (demo.status !== 'running') return;
    source.close();
    demo.status = status;
    $('async-status').textContent = text;
    button.removeAttribute('aria-disabled');
  };
  source.addEventListener('open', () => {
    $('async-status').textContent = 'Open, waiting for messages…';
  });
  source.addEventListener('message', (event) => {
    const data = parseData(event.data);
    demo.messages.push(data);
    const item = document.createElement('li');
    item.textContent = typeof data === 'string' ? data : JSON.stringify(data);
    $('async-log').append(item);
    // The server ends the stream after "end"; left open, EventSource would reconnect and rerun it.
    if (isObject(data) && data.msg === 'end') finish('done', 'Received "end"; closed the stream.');
  });
  source.addEventListener('error', () =>
    finish('failed', 'The stream failed before "end"; closed it.'),
  );
}

// ---------------------------------------------------------------------------------------------
// Start

function exposeDebugHandle() {
  const copy = (v) => structuredClone(v);
  window.ripple = Object.freeze({
    get state() {
      return conn.state;
    },
    get attempt() {
      return conn.attempt;
    },
    get lastEventId() {
      return conn.lastEventId;
    },
    get instance() {
      return instanceView.servedBy ?? instanceView.latestSystem;
    },
    get topics() {
      return [...topics];
    },
    states: () => copy(states),
    chartData,
    symbols: () => [...chart.series.keys()],
    systemRows,
    log: () => copy(eventLog),
    resets: () => copy(resets),
    resumes: () => copy(resumes),
    asyncDemo: () => copy(demo),
  });
}

function start() {
  $('stream-url').textContent = `/${streamUrl()}`;
  $('conn-toggle').addEventListener('click', () =>
    conn.state === 'closed' ? connect() : disconnect(),
  );
  for (const button of document.querySelectorAll('[data-dismiss]')) {
    button.addEventListener('click', () => {
      $(button.dataset.dismiss).hidden = true;
    });
  }
  $('log-pause').addEventListener('click', toggleLogPause);
  $('topics-input').value = topics.join(', ');
  $('topics-form').addEventListener('submit', onTopicsSubmit);
  $('publish-form').addEventListener('submit', onPublishSubmit);
  $('publish-data').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      $('publish-form').requestSubmit();
    }
  });
  $('async-run').addEventListener('click', runAsyncDemo);
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', buildChart);
  setInterval(refreshStaleness, 1000);
  watchChartSize();
  exposeDebugHandle();
  connect();
  void loadChartLibrary();
}

start();
