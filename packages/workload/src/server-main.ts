// The workload server as a process, as the lab starts it inside a pod's network namespace:
//   node server-main.ts --pod NS/NAME --node NODE [--tcp 80,81] [--udp 53]
// Prints exactly one line {"ready":true,"tcp":[...],"udp":[...]} on stdout once every port listens,
// logs to stderr, exits 0 on SIGTERM/SIGINT, 1 when a port cannot be bound, 2 on bad arguments.
import { createLogger, errorMessage } from '@ambit/core';
import { parseServerArgs, SERVER_USAGE } from './server-args.ts';
import { startWorkloadServer } from './server.ts';

const parsed = parseServerArgs(process.argv.slice(2));
if (!parsed.ok) {
  for (const problem of parsed.problems) console.error(`workload-server: ${problem}`);
  console.error(SERVER_USAGE);
  process.exit(2);
}
const args = parsed.value;
const logger = createLogger({ component: 'workload-server' });

try {
  const server = await startWorkloadServer({ ...args, logger });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    // Never outlive a stuck close: the lab's supervisor waits for us.
    setTimeout(() => process.exit(0), 3000).unref();
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'close failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.stdout.write(`${JSON.stringify({ ready: true, tcp: server.tcp, udp: server.udp })}\n`);
} catch (error) {
  console.error(`workload-server: ${errorMessage(error)}`);
  process.exit(1);
}
