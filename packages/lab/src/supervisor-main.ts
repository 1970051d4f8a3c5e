// Entry point of the lab supervisor daemon, started detached by `ambit lab up`:
//   supervisor-main.ts --name NAME --nodes K
// It writes readable logs to <state>/logs/supervisor.log and exits when the lab stops.
import { parseArgs } from 'node:util';
import { createLogger, errorMessage } from '@ambit/core';
import { labNames } from './names.ts';
import { LabSupervisor } from './supervisor.ts';

const { values } = parseArgs({ options: { name: { type: 'string' }, nodes: { type: 'string' } } });
const names = labNames(values.name ?? 'default');
const logger = createLogger({ component: 'supervisor', destination: `${names.logDir}/supervisor.log` }).child({ lab: names.lab });
const supervisor = new LabSupervisor({ names, nodeCount: Number(values.nodes ?? '2'), logger });

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'signal received');
    void supervisor.stop().then(() => process.exit(0));
  });
}
// The terminal that ran `lab up` may close; the lab keeps running.
process.on('SIGHUP', () => undefined);
process.on('unhandledRejection', (reason) => logger.error({ err: errorMessage(reason) }, 'unhandled rejection'));

try {
  await supervisor.start();
} catch (error) {
  logger.error({ err: errorMessage(error) }, 'the lab could not start');
  await supervisor.stop().catch(() => undefined);
  process.exit(1);
}
