import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let ticksPerSecond = 100;
try {
  ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
} catch {
  // 100 on every Linux we know of.
}

/** utime + stime of a process, in seconds, from /proc/<pid>/stat; null when it is gone. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) is in parentheses and may contain spaces: split after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of the line are the 12th and 13th after the name.
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return null;
  }
}

/** Resident set size in bytes, from /proc/<pid>/status VmRSS; null when it is gone. */
export function rssBytes(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Samples the RSS of some processes every `everyMs` until stopped; gives start, peak and end. */
export function rssSampler(pids, everyMs = 100) {
  const sum = () => pids.reduce((acc, pid) => acc + (rssBytes(pid) ?? 0), 0);
  const start = sum();
  let peak = start;
  const timer = setInterval(() => {
    const v = sum();
    if (v > peak) peak = v;
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      const end = sum();
      if (end > peak) peak = end;
      return { start, peak, end };
    },
  };
}

/**
 * The kernel's count of connections dropped because a listen queue was full (TcpExt
 * ListenOverflows, /proc/net/netstat): machine-wide, so it is ours only while nothing else opens
 * connections; null where it cannot be read.
 */
export function listenOverflows() {
  try {
    const lines = readFileSync('/proc/net/netstat', 'latin1').split('\n');
    const names = lines.findIndex((l) => l.startsWith('TcpExt:'));
    const keys = lines[names].split(' ');
    const values = lines[names + 1].split(' ');
    const i = keys.indexOf('ListenOverflows');
    return i < 0 ? null : Number(values[i]);
  } catch {
    return null;
  }
}
