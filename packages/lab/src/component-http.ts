// Talking HTTP to a component's admin or monitoring port inside the lab: the supervisor lives in
// the host namespace, which has no route into the lab, so the socket is opened inside the
// component's network namespace with the native addon and HTTP runs over it.
import { request } from 'node:http';
import { connectInNetns } from '@ambit/netns';
import { AmbitError } from '@ambit/core';

export interface ComponentReply {
  status: number;
  body: string;
}

export function componentGet(netns: string, host: string, port: number, path: string, timeoutMs = 5000): Promise<ComponentReply> {
  return componentRequest(netns, host, port, 'GET', path, timeoutMs);
}

export async function componentRequest(netns: string, host: string, port: number, method: 'GET' | 'POST', path: string, timeoutMs = 5000): Promise<ComponentReply> {
  const socket = await connectInNetns({ netns: `/run/netns/${netns}`, host, port, timeoutMs });
  return new Promise((resolve, reject) => {
    const req = request({ createConnection: () => socket, path, method, timeout: timeoutMs, headers: { host: `${host}:${port}`, connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new AmbitError('AMBIT_LAB_TIMEOUT', `${method} ${path} on ${host}:${port} in ${netns} did not answer within ${timeoutMs}ms`)));
    req.on('error', reject);
    req.end();
  });
}
