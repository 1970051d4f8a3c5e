// Stable problem codes of @ambit/api. Each one has a row in ../README.md (a test keeps them in
// step). A code never changes meaning once released; retired codes are not reused.

export const YAML_SYNTAX = 'AMBIT_API_YAML_SYNTAX';
export const READ_FAILED = 'AMBIT_API_READ_FAILED';
export const NO_FILES = 'AMBIT_API_NO_FILES';
export const UNKNOWN_KIND = 'AMBIT_API_UNKNOWN_KIND';
export const UNKNOWN_API_VERSION = 'AMBIT_API_UNKNOWN_API_VERSION';
export const UNKNOWN_FIELD = 'AMBIT_API_UNKNOWN_FIELD';
export const IGNORED_FIELD = 'AMBIT_API_IGNORED_FIELD';
export const REQUIRED = 'AMBIT_API_REQUIRED';
export const INVALID_TYPE = 'AMBIT_API_INVALID_TYPE';
export const INVALID_VALUE = 'AMBIT_API_INVALID_VALUE';
export const UNSUPPORTED = 'AMBIT_API_UNSUPPORTED';
export const DUPLICATE = 'AMBIT_API_DUPLICATE';
export const SELECTOR_MISMATCH = 'AMBIT_API_SELECTOR_MISMATCH';
export const IGNORED_VALUE = 'AMBIT_API_IGNORED_VALUE';
