// The `ambit` command. Errors become one clear line on stderr and an exit code from DESIGN.md;
// never a stack trace for bad input.
import { AmbitError, shareCompileCache } from '@ambit/core';
import { LabInputError } from '@ambit/lab';
import { labCommand } from './lab-command.ts';
import { demoCommand } from './demo.ts';
import { certsCommand } from './certs-command.ts';
import { analyzeCommand } from './analyze-command.ts';
import { proxyStatusCommand } from './proxy-status-command.ts';
import { ztunnelConfigCommand } from './ztunnel-config-command.ts';
import { experimentalCommand } from './netpol-command.ts';
import { waypointCommand } from './waypoint-command.ts';
import { EXIT, UsageError } from './exit-codes.ts';

const USAGE = `usage: ambit <command>
  lab      run a mesh on this machine in network namespaces (ambit lab --help)
  demo     bring up examples/production in a lab, probe it against its expectations, tear it down
  certs    make plug-in CA files: a root, or a per-cluster intermediate (ambit certs --help)
  analyze  validate YAML and warn about policies that will not do what they say (-f DIR, --lab N)
  proxy-status  each client of the control plane and its sync state (--lab N)
  ztunnel-config workloads|services|policies|certificates|connections  what each ztunnel holds (--lab N, --node N)
  x netpol explain --from NS/POD --to NS/POD --port P  which NetworkPolicy or Calico rule decides a connection (--lab N)
  waypoint generate|apply|list|status|delete  waypoints (istio-waypoint Gateways) in a lab, as istioctl manages them (--lab N; ambit waypoint --help)`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'lab':
      return labCommand(rest);
    case 'demo':
      return demoCommand(rest);
    case 'certs':
      return certsCommand(rest);
    case 'analyze':
      return analyzeCommand(rest);
    case 'proxy-status':
      return proxyStatusCommand(rest);
    case 'ztunnel-config':
      return ztunnelConfigCommand(rest);
    case 'x':
      return experimentalCommand(rest);
    case 'waypoint':
      return waypointCommand(rest);
    case undefined:
    case '-h':
    case '--help':
      console.log(USAGE);
      return command === undefined ? EXIT.usage : EXIT.ok;
    default:
      throw new UsageError(`unknown command "${command}"\n${USAGE}`);
  }
}

shareCompileCache();
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`error: ${error.message}`);
    process.exitCode = EXIT.usage;
  } else if (error instanceof LabInputError) {
    for (const line of error.problems) console.error(line);
    process.exitCode = EXIT.usage;
  } else if (error instanceof AmbitError && error.code === 'AMBIT_LAB_NOT_RUNNING') {
    console.error(`error: ${error.message} (start it with "ambit lab up")`);
    process.exitCode = EXIT.notRunning;
  } else if (error instanceof AmbitError) {
    console.error(`error: ${error.describe()}`);
    process.exitCode = EXIT.failed;
  } else {
    console.error(`error: ${(error as Error)?.stack ?? String(error)}`);
    process.exitCode = EXIT.failed;
  }
}
