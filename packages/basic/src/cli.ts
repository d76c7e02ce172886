// Entry point of `pnpm basic` and the conduit-basic bin. Relative paths resolve against the
// directory the user ran the command from: the root `basic` script runs this in the package
// directory, but pnpm keeps the caller's directory in INIT_CWD.
import { runCli } from './cli-commands.js';

const viaRootScript = process.env.npm_lifecycle_event === 'basic' && process.env.INIT_CWD;
const cwd = viaRootScript ? (process.env.INIT_CWD as string) : process.cwd();
process.exitCode = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  cwd,
});
