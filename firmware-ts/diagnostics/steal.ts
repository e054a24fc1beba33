import fs from 'node:fs';

/**
 * CPU time the hypervisor gave to others while this machine wanted to run
 * ("steal" in /proc/stat, all CPUs, in ms), or null where there is no such
 * counter. On a virtual machine a stolen slice stalls every thread alike,
 * real-time or not: it is the floor of any timing figure measured there.
 */
export function stolenMs(): number | null {
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
    // cpu user nice system idle iowait irq softirq steal ...; USER_HZ is 100 on every Linux we run on.
    const steal = Number(cpu[8]);
    return cpu[0] === 'cpu' && Number.isFinite(steal) ? steal * 10 : null;
  } catch {
    return null;
  }
}
