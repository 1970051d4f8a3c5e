// @ambit/netns: network namespaces, transparent-proxy socket options and file locks for Node,
// through a small N-API addon (src/native/netns.c). See README.md.
export {
  openSocketInNetns,
  listenInNetns,
  connectInNetns,
  udpSocketInNetns,
  originalDestination,
  setSocketMark,
  socketFd,
  netnsInode,
  type ListenInNetnsOptions,
  type ConnectInNetnsOptions,
} from './socket.ts';
export { withFileLock, withFileLockSync, type FileLockOptions } from './lock.ts';
export type { NetnsSocketOptions } from './options.ts';
export type { SocketAddress } from './sockaddr.ts';
export { NetnsErrorCode } from './errors.ts';
