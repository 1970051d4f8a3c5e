// The waypoint process (ADR 0007): one per istio-waypoint Gateway, configured by environment
// variables (settings.ts); logs to stderr, one access log line per request with scope=access.
import { createLogger, errorMessage } from '@ambit/core';
import { Waypoint } from './app.ts';
import { WAYPOINT_PARTS } from './parts.ts';
import { readSettings } from './settings.ts';

const settings = readSettings(process.env);
const logger = createLogger({ component: 'waypoint', format: settings.logFormat }).child({ gateway: `${settings.podNamespace}/${settings.gatewayName}`, pod: settings.podName });
process.on('unhandledRejection', (reason) => logger.error({ err: errorMessage(reason) }, 'unhandled rejection'));
const waypoint = new Waypoint(settings, logger, WAYPOINT_PARTS);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal, drainMs: settings.drainMs }, 'draining');
    void waypoint.stop().then(() => process.exit(0));
  });
}
await waypoint.start();
logger.info({ identity: waypoint.identity, xds: settings.xdsAddress }, 'waypoint started');
