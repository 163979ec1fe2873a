/**
 * Every process the benchmark starts goes through here: spawned in its own process group, pinned
 * to a core with taskset when it can be, its output appended to a log file, driven over IPC with
 * request/answer pairs and a timeout on each. killAll() SIGKILLs every group still alive; the
 * orchestrator calls it on exit, on signals and on any error. The children also exit by
 * themselves when the IPC channel closes, so not even a SIGKILLed orchestrator leaves orphans.
 */
import { spawn, spawnSync } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

const live = new Set();

let tasksetOk = null;
export function canPin() {
  if (tasksetOk === null) {
    const r = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    tasksetOk = r.status === 0;
  }
  return tasksetOk;
}

export class Child {
  constructor(name, proc, logPath, pinWhenReady = null) {
    this.name = name;
    this.proc = proc;
    this.pid = proc.pid;
    this.logPath = logPath;
    this.nextId = 1;
    this.pending = new Map();
    this.exited = null;
    this.readyMessage = null;
    this.readyWaiters = [];
    proc.on('message', (msg) => {
      if (msg?.type === 'ready') {
        // Every thread, before anyone is told it is ready (threads started later inherit it).
        if (pinWhenReady !== null)
          spawnSync('taskset', ['-a', '-p', '-c', String(pinWhenReady), String(this.pid)], {
            stdio: 'ignore',
          });
        this.readyMessage = msg;
        for (const w of this.readyWaiters) w.resolve(msg);
        this.readyWaiters = [];
        return;
      }
      const p = this.pending.get(msg?.id);
      if (!p) return;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.ok) p.resolve(msg);
      else p.reject(new Error(`${this.name}: ${msg.cmd ?? p.cmd} failed: ${msg.error}`));
    });
    proc.on('exit', (code, signal) => {
      this.exited = { code, signal };
      live.delete(this);
      const err = new Error(
        `${this.name} (pid ${this.pid}) exited (code ${code}, signal ${signal})${this.logTail()}`,
      );
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(err);
      }
      this.pending.clear();
      for (const w of this.readyWaiters) w.reject(err);
      this.readyWaiters = [];
    });
    proc.on('error', (err) => {
      for (const w of this.readyWaiters) w.reject(err);
      this.readyWaiters = [];
    });
  }

  logTail(lines = 15) {
    try {
      const text = readFileSync(this.logPath, 'utf8')
        .trimEnd()
        .split('\n')
        .slice(-lines)
        .join('\n    ');
      return text ? `\n  last lines of ${this.logPath}:\n    ${text}` : '';
    } catch {
      return '';
    }
  }

  /** Waits for the child's {type: 'ready'} message. */
  ready(timeoutMs = 30_000) {
    if (this.readyMessage) return Promise.resolve(this.readyMessage);
    if (this.exited)
      return Promise.reject(new Error(`${this.name} exited before it was ready${this.logTail()}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.name} not ready after ${timeoutMs} ms${this.logTail()}`)),
        timeoutMs,
      );
      this.readyWaiters.push({
        resolve: (m) => (clearTimeout(timer), resolve(m)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
    });
  }

  /** Sends a command and waits for its answer. */
  request(cmd, fields = {}, timeoutMs = 30_000) {
    if (this.exited) return Promise.reject(new Error(`${this.name} has exited${this.logTail()}`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: no answer to ${cmd} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, cmd });
      try {
        this.proc.send({ id, cmd, ...fields });
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(err);
      }
    });
  }

  /** Asks the child to shut down, then SIGKILLs it if it is still there after `graceMs`. */
  async stop(graceMs = 3000) {
    if (this.exited) return;
    const gone = new Promise((resolve) => this.proc.once('exit', resolve));
    this.request('shutdown', {}, graceMs).catch(() => undefined);
    const timer = setTimeout(() => this.kill(), graceMs);
    await gone;
    clearTimeout(timer);
  }

  kill() {
    if (this.exited) return;
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/**
 * Starts `node [nodeArgs] script [args]`, pinned to `cpu` when given and taskset works, with an
 * IPC channel. Output goes to <logDir>/<name>.log. With `pinWhenReady`, it starts on every core
 * and is pinned once it says it is ready: a server's start (loading modules, mostly) is not
 * measured, and two servers starting on one core take twice as long.
 */
export function spawnNode({
  name,
  script,
  args = [],
  nodeArgs = [],
  env = {},
  cpu = null,
  pinWhenReady = false,
  logDir,
  cwd,
}) {
  const logPath = join(logDir, `${name}.log`);
  const fd = openSync(logPath, 'a');
  const nodeArgv = [...nodeArgs, script, ...args];
  const pinned = cpu !== null && canPin();
  const late = pinned && pinWhenReady;
  const command = pinned ? 'taskset' : process.execPath;
  const startOn = late ? `0-${cpus().length - 1}` : String(cpu);
  const argv = pinned ? ['-c', startOn, process.execPath, ...nodeArgv] : nodeArgv;
  const proc = spawn(command, argv, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', fd, fd, 'ipc'],
    // Its own process group, so that kill(-pid) takes anything it might start, too.
    detached: true,
  });
  closeSync(fd);
  const child = new Child(name, proc, logPath, late ? cpu : null);
  live.add(child);
  return child;
}

export function liveChildren() {
  return [...live];
}

/** SIGKILLs every child still alive. Synchronous: safe in an 'exit' handler. */
export function killAll() {
  for (const child of live) child.kill();
}
