/**
 * Two builds' cost of an opening, side by side: the same small reconnect storm against each of two
 * running Ripple servers in turn, round after round, with each server's CPU time (from /proc) per
 * client caught up. On a shared machine a storm's CPU per connection moves by ±30% from minute to
 * minute, more than most changes to the opening; alternating storms every few seconds exposes both
 * builds to the same load, and the median of the per-round ratios tells them apart.
 *
 *   (cd <build A> && PORT=4101 HOST=127.0.0.1 RIPPLE_PRODUCERS=none RIPPLE_METRICS_PORT=0 \
 *     taskset -c 0 node dist/main.js) &      # and build B on 4102
 *   taskset -c 1 node bench/ab-storm.mjs 4101 <pid A> 4102 <pid B> [rounds=10] [clients=2000]
 *
 * Each server is given 200 events of history on topic `bench` (HTTP publishes from loopback),
 * then each storm opens `clients` connections, at most 500 opening at a time, each resuming 5,
 * 20, 50 or 120 events behind the newest (in turn), as scenario S does, and counts a client caught
 * up once it has the newest event's frame. One warm-up storm each first.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

const [portA, pidA, portB, pidB, rounds = 10, clients = 2000] = process.argv.slice(2).map(Number);
if (!portA || !pidA || !portB || !pidB) {
  console.error('usage: node bench/ab-storm.mjs portA pidA portB pidB [rounds] [clients]');
  process.exit(2);
}
const BACKS = [5, 20, 50, 120];
const AT_ONCE = 500;
/** Clock ticks per second of /proc/<pid>/stat's times (getconf CLK_TCK; 100 on Linux). */
const TICKS = 100;

/** User + system CPU seconds of a process. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

async function seed(port) {
  const ids = [];
  for (let s = 0; s < 200; s++) {
    const res = await fetch(`http://127.0.0.1:${port}/events/bench`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ data: { s, p: 'x'.repeat(80) } }),
    });
    ids.push((await res.json()).id);
  }
  return ids;
}

/** One client: resumes from `cursor`, done once the newest event's frame is in. */
function resume(port, cursor, newest) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const done = `id: bench=${newest}\n`;
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`not caught up in 60 s: ${text.slice(0, 200)}`));
    }, 60_000);
    socket.setEncoding('latin1');
    socket.on('connect', () =>
      socket.write(
        `GET /events?topic=bench HTTP/1.1\r\nHost: x\r\nLast-Event-ID: bench=${cursor}\r\n\r\n`,
      ),
    );
    socket.on('data', (chunk) => {
      text += chunk;
      if (text.includes(done)) {
        clearTimeout(timer);
        socket.destroy();
        resolve();
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** One storm; the server's CPU milliseconds per client caught up. */
async function storm(port, pid, ids) {
  const newest = ids.at(-1);
  const before = cpuSeconds(pid);
  let next = 0;
  const opener = async () => {
    while (next < clients) {
      const i = next++;
      await resume(port, ids.at(-1 - BACKS[i % BACKS.length]), newest);
    }
  };
  await Promise.all(Array.from({ length: AT_ONCE }, opener));
  // The closes' work, which is the storm's too.
  await new Promise((resolve) => setTimeout(resolve, 300));
  return ((cpuSeconds(pid) - before) / clients) * 1000;
}

const median = (values) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];
const idsA = await seed(portA);
const idsB = await seed(portB);
await storm(portA, pidA, idsA);
await storm(portB, pidB, idsB);
const a = [];
const b = [];
for (let round = 1; round <= rounds; round++) {
  a.push(await storm(portA, pidA, idsA));
  b.push(await storm(portB, pidB, idsB));
  console.log(
    `round ${round}: A ${a.at(-1).toFixed(3)} ms/conn, B ${b.at(-1).toFixed(3)} ms/conn, ` +
      `B/A ${(b.at(-1) / a.at(-1)).toFixed(3)}`,
  );
}
const ratios = a.map((value, i) => b[i] / value);
console.log(
  `median A ${median(a).toFixed(3)} ms/conn, B ${median(b).toFixed(3)} ms/conn; ` +
    `median B/A of the rounds ${median(ratios).toFixed(3)} (${ratios.filter((r) => r < 1).length} of ${rounds} below 1)`,
);
