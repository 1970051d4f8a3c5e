// Wire settings both HBONE ends use (Istio ztunnel's values, see README "Settings").
import type { Settings } from 'node:http2';

export const MiB = 1024 * 1024;
export const HBONE_PORT = 15008;
/** HTTP/2 per-stream receive window (SETTINGS_INITIAL_WINDOW_SIZE). */
export const STREAM_WINDOW = 4 * MiB;
/** HTTP/2 connection receive window, raised with setLocalWindowSize once the session is up. */
export const CONNECTION_WINDOW = 16 * MiB;
/** Largest HTTP/2 frame we accept (ztunnel: 1 MiB); fewer frames per byte on bulk streams. */
export const MAX_FRAME_SIZE = 1 * MiB;
export const SERVER_MAX_CONCURRENT_STREAMS = 200;
export const SERVER_MAX_HEADER_LIST_SIZE = 64 * 1024;
export const CLIENT_MAX_HEADER_LIST_SIZE = 16 * 1024;
/** nghttp2's per-session memory cap in MB: windows of 16 MiB need more than node's 10 MB default. */
export const MAX_SESSION_MEMORY_MB = 64;
export const DEFAULT_MAX_STREAMS_PER_CONNECTION = 100;
export const DEFAULT_PING_INTERVAL_MS = 30_000;
export const DEFAULT_PING_TIMEOUT_MS = 10_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

export const SERVER_SETTINGS: Settings = {
  initialWindowSize: STREAM_WINDOW,
  maxFrameSize: MAX_FRAME_SIZE,
  maxConcurrentStreams: SERVER_MAX_CONCURRENT_STREAMS,
  maxHeaderListSize: SERVER_MAX_HEADER_LIST_SIZE,
  enablePush: false,
};

export const CLIENT_SETTINGS: Settings = {
  initialWindowSize: STREAM_WINDOW,
  maxFrameSize: MAX_FRAME_SIZE,
  maxHeaderListSize: CLIENT_MAX_HEADER_LIST_SIZE,
  enablePush: false,
};
