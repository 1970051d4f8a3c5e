export { labNames, validateLabName, LAB_RUN_ROOT, type LabNames } from './names.ts';
export {
  labUp,
  labApply,
  labApplySources,
  labDown,
  labStatus,
  labExec,
  labProbe,
  labProbeMatrix,
  isRunning,
  findPod,
  probeFromPod,
  labComponentJson,
  labRotateRoot,
  labExplainNetpol,
  type NetpolExplanation,
  type RotationPhaseStep,
  type RotateRootResult,
  readSourceFiles,
  LabInputError,
  MATRIX_EXCLUDED_NAMESPACES,
  type UpOptions,
  type ProbeSpec,
  type ProbeResult,
  type Matrix,
  type MatrixOptions,
} from './lab-client.ts';
export { destroyLab, supervisorPid, type CleanupReport } from './cleanup.ts';
export type { LabStatus, PodStatusEntry, ServiceStatusEntry, ComponentStatus, NodeStatus, GatewayStatusEntry, NamespaceStatusEntry } from './status.ts';
export { renderServicesTable, type ServicePortRule } from './services-nft.ts';
