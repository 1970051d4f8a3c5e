// The model as the xDS server's ResourceSource: the server reaches state only through this.
import type { MeshModel } from './model/model.ts';
import type { ResourceChange, ResourceSnapshot, ResourceSource } from './xds/index.ts';

export function modelResourceSource(model: MeshModel): ResourceSource {
  return {
    snapshot(typeUrl): ResourceSnapshot {
      // The model replaces a type's Map on every change (copy on write), as the server requires.
      return { typeUrl, resources: model.resourcesOf(typeUrl) };
    },
    onChange(listener: (change: ResourceChange) => void): () => void {
      return model.onChange((change) => listener({ typeUrl: change.typeUrl, names: change.names }));
    },
  };
}
