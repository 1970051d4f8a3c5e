// apps/v1 Deployment: replicas, selector and a pod template whose labels the selector must match.
import { INVALID_VALUE, REQUIRED, SELECTOR_MISMATCH } from '../codes.ts';
import { dns1123Subdomain } from '../names.ts';
import { childPath, readInt, readObject } from '../reader.ts';
import type { Ctx, Field, FieldTable } from '../reader.ts';
import { readAnnotations, readMetaLabels } from '../metadata.ts';
import { formatSelector, isEmptySelector, readLabelSelector, selectorMatches } from '../selector.ts';
import type { LabelSelector } from '../selector.ts';
import type { ResourceBase } from '../types.ts';
import { compact } from './common.ts';
import type { KindDef } from './kind.ts';
import { encodePodSpec, readPodSpec } from './pod.ts';
import type { PodSpec } from './pod.ts';

export interface PodTemplateSpec {
  metadata: { labels: Record<string, string>; annotations: Record<string, string> };
  spec: PodSpec;
}

export interface DeploymentSpec {
  /** Defaulted to 1. */
  replicas: number;
  selector: LabelSelector;
  template: PodTemplateSpec;
}

export type Deployment = ResourceBase<'Deployment', DeploymentSpec>;

const SPEC_FIELDS: FieldTable = {
  replicas: 'read',
  selector: 'read',
  template: 'read',
  strategy: 'ignore',
  minReadySeconds: 'ignore',
  revisionHistoryLimit: 'ignore',
  progressDeadlineSeconds: 'ignore',
  paused: 'warn',
};

const TEMPLATE_METADATA_FIELDS: FieldTable = {
  labels: 'read',
  annotations: 'read',
  // Kubernetes accepts these in a template and ignores them; generated YAML often has creationTimestamp: null.
  name: 'ignore',
  namespace: 'ignore',
  generateName: 'ignore',
  creationTimestamp: 'ignore',
  uid: 'ignore',
  resourceVersion: 'ignore',
  generation: 'ignore',
  finalizers: 'ignore',
  ownerReferences: 'ignore',
};

const INT32_MAX = 2147483647;

function readDeploymentSpec(ctx: Ctx, f: Field): DeploymentSpec | undefined {
  const obj = readObject(ctx, f, SPEC_FIELDS);
  if (!obj) return undefined;
  const replicasField = obj.get('replicas');
  const replicas = replicasField ? readInt(ctx, replicasField, 0, INT32_MAX) : 1;
  const selectorField = obj.require('selector');
  const selector = selectorField ? readLabelSelector(ctx, selectorField) : undefined;
  if (selector && selectorField && isEmptySelector(selector)) {
    ctx.error(INVALID_VALUE, selectorField.at, selectorField.path, 'must not be empty: a Deployment selects its pods by label (matchLabels or matchExpressions)');
  }
  const templateField = obj.require('template');
  const template = templateField ? readTemplate(ctx, templateField) : undefined;
  if (selector && !isEmptySelector(selector) && template && templateField && !selectorMatches(selector, template.labels)) {
    const at = template.labelsField?.at ?? template.metadataField?.at ?? templateField.at;
    ctx.error(SELECTOR_MISMATCH, at, childPath(childPath(templateField.path, 'metadata'), 'labels'),
      `do not match spec.selector (${formatSelector(selector)}); got ${JSON.stringify(template.labels)}`);
  }
  if (replicas === undefined || selector === undefined || template?.spec === undefined) return undefined;
  return {
    replicas,
    selector,
    template: { metadata: { labels: template.labels, annotations: template.annotations }, spec: template.spec },
  };
}

interface TemplateRead {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: PodSpec | undefined;
  metadataField: Field | undefined;
  labelsField: Field | undefined;
}

function readTemplate(ctx: Ctx, f: Field): TemplateRead | undefined {
  const obj = readObject(ctx, f, { metadata: 'read', spec: 'read' });
  if (!obj) return undefined;
  const metadataField = obj.get('metadata');
  const meta = metadataField ? readObject(ctx, metadataField, TEMPLATE_METADATA_FIELDS) : undefined;
  const labelsField = meta?.get('labels');
  const labels = readMetaLabels(ctx, labelsField) ?? {};
  const annotations = readAnnotations(ctx, meta?.get('annotations')) ?? {};
  const specField = obj.get('spec');
  if (!specField) ctx.error(REQUIRED, f.at, childPath(f.path, 'spec'), 'is required');
  const spec = specField ? readPodSpec(ctx, specField) : undefined;
  return { labels, annotations, spec, metadataField, labelsField };
}

export const deploymentKind: KindDef<Deployment> = {
  kind: 'Deployment',
  apiVersions: ['apps/v1'],
  namespaced: true,
  nameRule: dns1123Subdomain,
  fields: { spec: 'read' },
  readSpec(ctx, top) {
    const f = top.require('spec');
    return f ? readDeploymentSpec(ctx, f) : undefined;
  },
  encode: (spec) => ({
    spec: {
      replicas: spec.replicas,
      selector: compact({ ...spec.selector }),
      template: {
        metadata: compact({
          labels: spec.template.metadata.labels,
          annotations: Object.keys(spec.template.metadata.annotations).length > 0 ? spec.template.metadata.annotations : undefined,
        }),
        spec: encodePodSpec(spec.template.spec),
      },
    },
  }),
};
