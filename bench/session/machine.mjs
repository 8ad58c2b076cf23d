// How busy the machine was: the CPU time of the whole machine (/proc/stat) and of single
// processes (/proc/PID/stat), so the report can say what share of the CPUs other people's work
// took while a scenario ran (the machine is shared; absolute times depend on it).
import fs from 'node:fs';
import os from 'node:os';

const TICK_MS = 10; // USER_HZ is 100 on Linux

// Busy and total CPU milliseconds of the machine since boot (all CPUs together).
export function machineCpu() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f;
  const busy = user + nice + system + irq + softirq + (steal ?? 0);
  return { busyMs: busy * TICK_MS, totalMs: (busy + idle + (iowait ?? 0)) * TICK_MS };
}

// CPU milliseconds (user + system) used so far by a live process; 0 when it is gone.
export function processCpuMs(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch { return 0; }
}

export function selfCpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

// Share of all CPUs used by processes other than ours between two machineCpu() readings.
export function othersShare(a, b, oursMs) {
  const total = b.totalMs - a.totalMs;
  if (total <= 0) return null;
  return Math.max(0, (b.busyMs - a.busyMs - oursMs) / total);
}

export const nCpus = () => os.cpus().length;
