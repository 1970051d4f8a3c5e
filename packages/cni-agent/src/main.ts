// ambit cni-agent: one per node, in the node's network namespace. Configuration from the
// environment (settings.ts); SIGTERM/SIGINT stop it cleanly (rules in pods stay: pods keep their
// capture while the agent restarts, as istio-cni's do).
import { createLogger, errorMessage, isAmbitError } from '@ambit/core';
import { AgentApp } from './app.ts';
import { loadSettings } from './settings.ts';

let settings;
try {
  settings = loadSettings();
} catch (error) {
  process.stderr.write(`cni-agent: ${isAmbitError(error) ? error.describe() : errorMessage(error)}\n`);
  process.exit(2);
}
const logger = createLogger({ component: 'cni-agent', format: settings.logFormat, level: settings.logLevel });
const app = new AgentApp({ settings, logger });
let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping');
  const force = setTimeout(() => {
    logger.error({}, 'shutdown took longer than 10s; exiting');
    process.exit(1);
  }, 10_000);
  force.unref();
  app.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error({ err: errorMessage(error) }, 'shutdown failed');
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
try {
  await app.start();
  logger.info({ node: settings.nodeName, handoff: settings.handoffSocket, plugin: settings.pluginSocket, monitoring: app.monitoringPort, xds: settings.xdsAddress }, 'cni-agent started');
} catch (error) {
  logger.error({ err: errorMessage(error) }, 'cni-agent failed to start');
  await app.stop().catch(() => undefined);
  process.exit(1);
}
