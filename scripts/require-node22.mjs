// Fails loudly on Node < 22: aws-local-stepfunctions silently turns every Task into a caught TypeError there.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22 || (major === 22 && Number(process.versions.node.split('.')[1]) < 18)) {
  console.error(
    `medic needs Node.js >= 22 but is running on ${process.version}. Run it through npm (npm start / npm test / npx medic), which uses the Node 22 the project installs.`,
  );
  process.exit(1);
}
