#!/usr/bin/env node
// medic CLI entry. Refuses Node < 22.18 loudly (the local Step Functions engine misbehaves
// silently on older Node), then runs the TypeScript CLI directly (Node ≥ 22.18 strips types).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `medic needs Node.js >= 22.18 but this is ${process.version}. Use the project's Node: run it via npm (npm start, npx medic) after npm install.`,
  );
  process.exit(2);
}
// Operator commands talk to AWS only: they skip loading the local simulation.
const OPERATOR_COMMANDS = new Set([
  'start',
  'status',
  'history',
  'approve',
  'reject',
  'pause',
  'resume',
  'alarms',
  'replay',
  'stats',
]);
const argv = process.argv.slice(2);
const code = OPERATOR_COMMANDS.has(argv[0])
  ? await (await import('../cli/operator.ts')).operatorMain(argv)
  : await (await import('../local/cli/main.ts')).main(argv);
// Idle keep-alive sockets (SDK, fetch) would hold the process for seconds after the work is done.
process.exit(code);
