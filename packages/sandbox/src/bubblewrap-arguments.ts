import { lstatSync, readlinkSync } from 'node:fs';

export const prlimitPath = '/usr/bin/prlimit';
/** Inside the sandbox the program is `nobody`, whatever user id it has outside. */
const sandboxUid = '65534';

/** /bin, /lib and friends: symlinks into /usr on merged-/usr systems, read-only binds elsewhere. */
function systemDirectories(): string[] {
  const args: string[] = ['--ro-bind', '/usr', '/usr'];
  for (const path of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    try {
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) args.push('--symlink', readlinkSync(path), path);
      else if (stat.isDirectory()) args.push('--ro-bind', path, path);
    } catch {
      // Absent on this system: nothing to offer.
    }
  }
  return args;
}

export interface SandboxShape {
  /** The interpreter and its arguments, run as the sandbox's only program. */
  interpreter: string[];
  memoryBytes: number;
  cpuSeconds: number;
  processes: number;
}

/**
 * bwrap's command line: every namespace new (no network, not even the host's loopback), no further
 * user namespaces, `nobody` without capabilities, /usr read-only and nothing else of the host, a
 * private tmpfs for /tmp and the working directory, an empty environment, a new session, and
 * prlimit's limits around the interpreter (the soft CPU limit sends SIGXCPU, the hard one SIGKILL).
 */
export function bubblewrapArguments(shape: SandboxShape): string[] {
  const size = String(shape.memoryBytes);
  return [
    ...['--unshare-all', '--unshare-user', '--disable-userns', '--uid', sandboxUid, '--gid', sandboxUid],
    ...['--hostname', 'sandbox', '--die-with-parent', '--new-session', '--cap-drop', 'ALL'],
    ...systemDirectories(),
    ...['--proc', '/proc', '--dev', '/dev'],
    ...['--size', size, '--tmpfs', '/tmp', '--size', size, '--tmpfs', '/sandbox', '--chdir', '/sandbox'],
    ...['--clearenv', '--setenv', 'PATH', '/usr/bin:/bin', '--setenv', 'HOME', '/sandbox'],
    ...['--setenv', 'TMPDIR', '/tmp', '--setenv', 'LANG', 'C.UTF-8'],
    '--',
    prlimitPath,
    `--as=${shape.memoryBytes}`,
    `--cpu=${shape.cpuSeconds}:${shape.cpuSeconds + 1}`,
    `--nproc=${shape.processes}`,
    `--fsize=${shape.memoryBytes}`,
    '--nofile=64',
    '--core=0',
    '--',
    ...shape.interpreter,
  ];
}
