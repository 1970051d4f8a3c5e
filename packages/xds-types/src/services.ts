// gRPC service definitions for @grpc/grpc-js, built by @grpc/proto-loader from the same parsed
// .proto files as the protobufjs Root and with the same conversion options (options.ts), so a
// request decoded by grpc-js has the shape decodeMessage returns and packAny/unpackAny apply.
import * as grpc from '@grpc/grpc-js';
import { fromJSON, type PackageDefinition } from '@grpc/proto-loader';
import { AmbitError } from '@ambit/core';
import { encodeMessage } from './codec.ts';
import { PROTO_LOADER_OPTIONS } from './options.ts';
import { protoRoot } from './root.ts';

export const ADS_SERVICE = 'envoy.service.discovery.v3.AggregatedDiscoveryService';
export const CA_SERVICE = 'istio.v1.auth.IstioCertificateService';

let packageDefinition: PackageDefinition | undefined;

function definitions(): PackageDefinition {
  packageDefinition ??= fromJSON(protoRoot().toJSON(), PROTO_LOADER_OPTIONS);
  return packageDefinition;
}

function serviceDefinition(name: string): grpc.ServiceDefinition {
  const found = definitions()[name];
  if (!found || !isServiceDefinition(found)) {
    throw new AmbitError('AMBIT_XDS_UNKNOWN_TYPE', `no gRPC service named ${name} in the loaded protos`, { details: { service: name } });
  }
  return withCheckedSerializers(name, found as grpc.ServiceDefinition);
}

/**
 * proto-loader's serializers call protobufjs fromObject, which drops misspelt fields silently.
 * Serializing through encodeMessage instead checks every message sent (a bad one fails the call
 * with AMBIT_XDS_ENCODE in the sender) and leaves zero defaults out, exactly as encodeMessage does.
 */
function withCheckedSerializers(name: string, definition: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const service = protoRoot().lookupService(name);
  const out: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const [methodName, method] of Object.entries(definition)) {
    const reflected = service.methods[methodName];
    const requestType = reflected?.resolvedRequestType?.fullName.slice(1);
    const responseType = reflected?.resolvedResponseType?.fullName.slice(1);
    if (!requestType || !responseType) throw new AmbitError('AMBIT_XDS_UNKNOWN_TYPE', `no method ${name}/${methodName} in the protobufjs Root`);
    out[methodName] = {
      ...(method as grpc.MethodDefinition<object, object>),
      requestSerialize: (value: object) => Buffer.from(encodeMessage(requestType, value)),
      responseSerialize: (value: object) => Buffer.from(encodeMessage(responseType, value)),
    };
  }
  return out;
}

function isServiceDefinition(value: object): boolean {
  // proto-loader marks messages and enums with a `format`; services are maps of method definitions.
  return !('format' in value);
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
