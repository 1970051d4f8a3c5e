// Absolute paths of the two processes, for the lab to start with the pinned runtime
// (`node SERVER_MAIN_PATH --pod ...`, `ip netns exec POD node PROBE_MAIN_PATH REQUEST`).
import { fileURLToPath } from 'node:url';

export const SERVER_MAIN_PATH = fileURLToPath(new URL('./server-main.ts', import.meta.url));
export const PROBE_MAIN_PATH = fileURLToPath(new URL('./probe-main.ts', import.meta.url));
