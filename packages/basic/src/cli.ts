// Entry point of `pnpm basic` and the conduit-basic bin. Relative paths resolve against the
// directory the user ran the command from: pnpm runs this in the package directory but keeps the
// caller's directory in INIT_CWD.
import { runCli } from './cli-commands.js';

const cwd = process.env.CONDUIT_BASIC_CWD ?? process.env.INIT_CWD ?? process.cwd();
process.exitCode = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  cwd,
});
