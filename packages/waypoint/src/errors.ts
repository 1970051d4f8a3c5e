// Stable error codes of @ambit/waypoint's proxy core; each has a row in packages/waypoint/README.md.
// AMBIT_WAYPOINT_CONFIG is shared with the config compilers (authz/, routing/): a resource the
// waypoint cannot honour, NACKed by name.
import { AmbitError, type AmbitErrorOptions } from '@ambit/core';

export const WAYPOINT_CODES = {
  badSetting: 'AMBIT_WAYPOINT_BAD_SETTING',
  config: 'AMBIT_WAYPOINT_CONFIG',
  upstream: 'AMBIT_WAYPOINT_UPSTREAM',
} as const;

export type WaypointErrorCode = (typeof WAYPOINT_CODES)[keyof typeof WAYPOINT_CODES];

export function waypointError(code: WaypointErrorCode, message: string, options: AmbitErrorOptions = {}): AmbitError {
  return new AmbitError(code, message, options);
}
