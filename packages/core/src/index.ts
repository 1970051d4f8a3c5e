export { AmbitError, isAmbitError, errorMessage, type AmbitErrorOptions } from './errors.ts';
export { formatProblem, hasErrors, type Problem, type SourcePosition } from './problems.ts';
export { parseDuration, formatDuration } from './duration.ts';
export { createLogger, silentLogger, type Logger, type LogFields, type LogFormat, type LoggerOptions } from './logger.ts';
export { deadline, waitFor, type WaitOptions } from './wait.ts';
export { COMPILE_CACHE_DIR, shareCompileCache } from './runtime.ts';
export { issueNodeCredentials, hashToken, type IssuedNodeCredentials } from './node-credentials.ts';
export { watchFileContent, type FileContentWatch, type FileContentWatchOptions } from './file-watch.ts';
export { serveHttp, closeServer, type EndpointReply, type EndpointRoute } from './http-endpoint.ts';
