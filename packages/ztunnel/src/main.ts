// The ztunnel process, one per node (in the lab: in the node's network namespace). Configured by
// environment variables (settings.ts); logs to stderr, access log lines with target=access.
import { createLogger, errorMessage } from '@ambit/core';
import { readSettings } from './settings.ts';
import { Ztunnel } from './app.ts';

const settings = readSettings(process.env);
const logger = createLogger({ component: 'ztunnel', format: settings.logFormat }).child({ node: settings.nodeName });
process.on('unhandledRejection', (reason) => logger.error({ err: errorMessage(reason) }, 'unhandled rejection'));
const ztunnel = new Ztunnel(settings, logger);
await ztunnel.start();
logger.info({ xds: settings.xdsAddress, handoff: settings.handoffSocket }, 'ztunnel started');
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'draining');
    void ztunnel.stop().then(() => process.exit(0));
  });
}
