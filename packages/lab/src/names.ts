// Every name the lab gives to kernel objects and files, in one place, so `down` can find them all.
// Lab names are DNS labels, so the prefix `ambit-<lab>.` can never match another lab's objects.
import { AmbitError } from '@ambit/core';

export const LAB_RUN_ROOT = process.env['AMBIT_LAB_ROOT'] ?? '/run/ambit';
const LAB_NAME = /^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$/;

export function validateLabName(name: string): string {
  if (!LAB_NAME.test(name)) {
    throw new AmbitError('AMBIT_LAB_BAD_NAME', `invalid lab name "${name}"`, {
      hint: 'use 1-20 lowercase letters, digits or "-", starting and ending with a letter or digit',
    });
  }
  return name;
}

export interface LabNames {
  lab: string;
  stateDir: string;
  socket: string;
  pidFile: string;
  logDir: string;
  configDir: string;
  /** Network namespace holding the underlay bridge. */
  rootNetns: string;
  /** Network namespace of the control plane, on the underlay. */
  controlPlaneNetns: string;
  /** Where the control plane keeps its CA and the lab keeps node credentials. */
  caDir: string;
  credentialsDir: string;
  nodeNetns(node: string): string;
  podNetns(namespace: string, pod: string): string;
  /** Prefix shared by every namespace of this lab except the root one. */
  netnsPrefix: string;
}

export function labNames(lab: string): LabNames {
  validateLabName(lab);
  const stateDir = `${LAB_RUN_ROOT}/${lab}`;
  const rootNetns = `ambit-${lab}`;
  return {
    lab,
    stateDir,
    socket: `${stateDir}/supervisor.sock`,
    pidFile: `${stateDir}/supervisor.pid`,
    logDir: `${stateDir}/logs`,
    configDir: `${stateDir}/config`,
    rootNetns,
    controlPlaneNetns: `${rootNetns}.control-plane`,
    caDir: `${stateDir}/ca`,
    credentialsDir: `${stateDir}/credentials`,
    netnsPrefix: `${rootNetns}.`,
    nodeNetns: (node) => `${rootNetns}.${node}`,
    podNetns: (namespace, pod) => `${rootNetns}.p.${namespace}.${pod}`,
  };
}

/** Whether a netns name belongs to the lab (its root namespace or any node or pod namespace). */
export function belongsToLab(names: LabNames, netns: string): boolean {
  return netns === names.rootNetns || netns.startsWith(names.netnsPrefix);
}
