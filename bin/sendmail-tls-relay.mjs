#!/usr/bin/env node
// The command as installed ("bin" in package.json): `npx sendmail-tls-relay deploy --host mailserver`
// runs what `npm run deploy -- --host mailserver` runs. It hands the subcommand to bin/run.mjs, which
// builds dist/ when a source changed and imports dist/scripts/<command>.js.
const COMMANDS = ['deploy', 'pair', 'unpair', 'status', 'verify', 'inventory', 'demo', 'lab', 'bench'];
const [command, ...rest] = process.argv.slice(2);
const usage = `usage: sendmail-tls-relay COMMAND [FLAGS]   (COMMAND --help for its flags)\ncommands: ${COMMANDS.join(', ')}`;
if (command === '-h' || command === '--help') {
  console.log(usage);
  process.exit(0);
}
if (!COMMANDS.includes(command)) {
  console.error(command ? `sendmail-tls-relay: unknown command '${command}'\n${usage}` : usage);
  process.exit(1);
}
process.argv = [process.argv[0], new URL('./run.mjs', import.meta.url).pathname, command, ...rest];
await import('./run.mjs');
