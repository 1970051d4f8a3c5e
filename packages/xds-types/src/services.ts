// gRPC service definitions for @grpc/grpc-js, built from the protobufjs Root's service reflection
// with encodeMessage/decodeMessage as the (de)serializers, so a request decoded by grpc-js has the
// shape decodeMessage returns (options.ts) and packAny/unpackAny apply. (@grpc/proto-loader built
// them before, from a second Root made from the whole first one's JSON: about 10 MB of heap.)
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { AmbitError } from '@ambit/core';
import { decodeMessage, encodeMessage } from './codec.ts';
import { lookupProto } from './root.ts';

export const ADS_SERVICE = 'envoy.service.discovery.v3.AggregatedDiscoveryService';
export const CA_SERVICE = 'istio.v1.auth.IstioCertificateService';

const built = new Map<string, grpc.ServiceDefinition>();

function serviceDefinition(name: string): grpc.ServiceDefinition {
  const cached = built.get(name);
  if (cached) return cached;
  const service = lookupProto(name);
  if (!(service instanceof protobuf.Service)) {
    throw new AmbitError('AMBIT_XDS_UNKNOWN_TYPE', `no gRPC service named ${name} in the loaded protos`, { details: { service: name } });
  }
  const out: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const requestType = method.resolvedRequestType?.fullName.slice(1);
    const responseType = method.resolvedResponseType?.fullName.slice(1);
    if (!requestType || !responseType) throw new AmbitError('AMBIT_XDS_UNKNOWN_TYPE', `no method ${name}/${method.name} in the protobufjs Root`);
    out[method.name] = {
      path: `/${name}/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      // grpc-js also offers client methods under this name (streamAggregatedResources), as proto-loader named them.
      originalName: method.name.charAt(0).toLowerCase() + method.name.slice(1),
      // encodeMessage checks every message sent (protobufjs fromObject drops misspelt fields
      // silently): a bad one fails the call with AMBIT_XDS_ENCODE in the sender. Zero defaults are
      // left out exactly as encodeMessage does.
      requestSerialize: (value: object) => Buffer.from(encodeMessage(requestType, value)),
      requestDeserialize: (bytes: Buffer) => decodeMessage<object>(requestType, bytes),
      responseSerialize: (value: object) => Buffer.from(encodeMessage(responseType, value)),
      responseDeserialize: (bytes: Buffer) => decodeMessage<object>(responseType, bytes),
    };
  }
  built.set(name, out);
  return out;
}

/**
 * envoy.service.discovery.v3.AggregatedDiscoveryService: StreamAggregatedResources and
 * DeltaAggregatedResources (DeltaDiscoveryRequest -> DeltaDiscoveryResponse, both streaming).
 * Messages use the conversion of options.ts: snake_case names, int64 as strings, enums as names.
 */
export function loadAdsServiceDefinition(): grpc.ServiceDefinition {
  return serviceDefinition(ADS_SERVICE);
}

/** istio.v1.auth.IstioCertificateService: unary CreateCertificate. */
export function loadCaServiceDefinition(): grpc.ServiceDefinition {
  return serviceDefinition(CA_SERVICE);
}

/** A client class for the ADS service: `new (adsClientConstructor())(address, credentials)`. */
export function adsClientConstructor(): grpc.ServiceClientConstructor {
  return grpc.makeGenericClientConstructor(loadAdsServiceDefinition(), 'AggregatedDiscoveryService');
}

/** A client class for the CA service: `new (caClientConstructor())(address, credentials)`. */
export function caClientConstructor(): grpc.ServiceClientConstructor {
  return grpc.makeGenericClientConstructor(loadCaServiceDefinition(), 'IstioCertificateService');
}
