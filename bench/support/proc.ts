// Process figures from /proc (Linux): peak and current resident memory, and CPU time used, so the
// bench can say which process limited a run.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

let ticksPerSecond: number | undefined;

export function clockTicks(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticksPerSecond;
}

export interface ProcessMemory {
  /** Peak resident set size (VmHWM), MiB. */
  peakRssMiB: number;
  /** Current resident set size (VmRSS), MiB. */
  rssMiB: number;
}

export function processMemory(pid: number): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(match[1]);
  };
  return { peakRssMiB: round(kib('VmHWM') / 1024, 1), rssMiB: round(kib('VmRSS') / 1024, 1) };
}

/** User + system CPU seconds the process has used so far; undefined when it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces; fields after it are plain numbers.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks();
}

export function round(value: number, digits = 0): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Jiffies of the whole machine (all CPUs) from /proc/stat: busy and total. */
export interface MachineCpu {
  busy: number;
  total: number;
}

export function machineCpu(): MachineCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.slice(0, 8).reduce((sum, value) => sum + value, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

/** CPU seconds all CPUs were busy between two readings. */
export function busySeconds(after: MachineCpu, before: MachineCpu): number {
  return (after.busy - before.busy) / clockTicks();
}

/** Share of all CPUs that were busy between two readings, in percent. */
export function busyPercent(after: MachineCpu, before: MachineCpu): number {
  const total = after.total - before.total;
  return total > 0 ? round(((after.busy - before.busy) / total) * 100) : 0;
}

/** Open sockets of a process (entries of /proc/<pid>/fd that are sockets); undefined when it is gone. */
export function openSockets(pid: number): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  let sockets = 0;
  for (const entry of entries) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${entry}`).startsWith('socket:')) sockets++;
    } catch {
      // closed while we looked
    }
  }
  return sockets;
}
