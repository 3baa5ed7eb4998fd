import type { PropertyShape, ResourceSpec, TypeShape } from './cfn-spec.ts';

/**
 * A small CloudFormation template checker over the current resource specification, standing in for
 * cfn-lint (the Python tool cannot be installed here; the npm `cfn-lint` has an outdated spec).
 *
 * It checks: resource types exist; property names are valid for their type, recursively through
 * property types; required properties are present; every Ref, Fn::GetAtt (attribute names
 * included), Fn::Sub `${…}`, DependsOn and condition name resolves.
 */

/** One thing wrong with a template, at a path such as `Resources.Table.Properties.KeySchema[0]`. */
export interface CfnProblem {
  readonly path: string;
  readonly message: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** The template sections the checker reads. */
export interface CfnTemplate {
  readonly Parameters?: Record<string, unknown>;
  readonly Conditions?: Record<string, unknown>;
  readonly Mappings?: Record<string, unknown>;
  readonly Resources: Record<
    string,
    { Type: string; Properties?: JsonObject; DependsOn?: string | string[]; Condition?: string; [key: string]: unknown }
  >;
  readonly Outputs?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

/** Values Ref accepts besides resources and parameters. */
export const pseudoParameters: ReadonlySet<string> = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

const templateSections = new Set([
  'AWSTemplateFormatVersion',
  'Description',
  'Metadata',
  'Parameters',
  'Rules',
  'Mappings',
  'Conditions',
  'Transform',
  'Resources',
  'Outputs',
]);
const resourceAttributes = new Set([
  'Type',
  'Properties',
  'DependsOn',
  'Condition',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'Metadata',
  'CreationPolicy',
  'UpdatePolicy',
]);
const deletionPolicies = new Set(['Delete', 'Retain', 'RetainExceptOnCreate', 'Snapshot']);
const intrinsics = new Set([
  'Ref',
  'Condition',
  'Fn::GetAtt',
  'Fn::Sub',
  'Fn::Join',
  'Fn::If',
  'Fn::Not',
  'Fn::Equals',
  'Fn::And',
  'Fn::Or',
  'Fn::Select',
  'Fn::Split',
  'Fn::FindInMap',
  'Fn::GetAZs',
  'Fn::ImportValue',
  'Fn::Base64',
  'Fn::Cidr',
  'Fn::Length',
  'Fn::ToJsonString',
  'Fn::Transform',
]);

/** Checks a template against the specification; an empty list means no problem was found. */
export function checkTemplate(template: CfnTemplate, spec: ResourceSpec): CfnProblem[] {
  const problems: CfnProblem[] = [];
  const report = (path: string, message: string) => problems.push({ path, message });

  for (const section of Object.keys(template)) {
    if (!templateSections.has(section)) report(section, `unknown template section "${section}"`);
  }
  const resources = template.Resources ?? {};
  const names = {
    resources: new Set(Object.keys(resources)),
    parameters: new Set(Object.keys(template.Parameters ?? {})),
    conditions: new Set(Object.keys(template.Conditions ?? {})),
  };

  for (const [id, resource] of Object.entries(resources)) {
    const path = `Resources.${id}`;
    for (const key of Object.keys(resource)) {
      if (!resourceAttributes.has(key)) report(path, `unknown resource attribute "${key}"`);
    }
    for (const policy of ['DeletionPolicy', 'UpdateReplacePolicy'] as const) {
      const value = resource[policy];
      if (value !== undefined && !deletionPolicies.has(String(value))) report(`${path}.${policy}`, `invalid ${policy} "${String(value)}"`);
    }
    for (const target of [resource.DependsOn ?? []].flat()) {
      if (!names.resources.has(target)) report(`${path}.DependsOn`, `DependsOn names "${target}", which is not a resource`);
    }
    if (resource.Condition !== undefined && !names.conditions.has(resource.Condition)) {
      report(`${path}.Condition`, `condition "${resource.Condition}" is not defined`);
    }
    if (resource.Type.startsWith('Custom::') || resource.Type === 'AWS::CloudFormation::CustomResource') continue;
    const shape = spec.resource(resource.Type);
    if (!shape) {
      report(`${path}.Type`, `unknown resource type "${resource.Type}"`);
      continue;
    }
    checkObject(resource.Properties ?? {}, shape.properties, `${path}.Properties`, shape.type, report);
  }

  const checkReferences = (value: unknown, path: string): void => walkReferences(value, path, template, names, spec, report);
  checkReferences(template.Conditions, 'Conditions');
  checkReferences(template.Resources, 'Resources');
  checkReferences(template.Outputs, 'Outputs');
  return problems;
}

type Report = (path: string, message: string) => void;

function isIntrinsic(value: Json | undefined): value is JsonObject {
  if (!isObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && intrinsics.has(keys[0] ?? '');
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkObject(
  value: JsonObject,
  properties: Readonly<Record<string, PropertyShape>>,
  path: string,
  typeName: string,
  report: Report,
): void {
  for (const [name, property] of Object.entries(properties)) {
    if (property.required && !(name in value)) report(path, `${typeName} requires property "${name}"`);
  }
  for (const [name, child] of Object.entries(value)) {
    const property = properties[name];
    if (!property) {
      report(`${path}.${name}`, `"${name}" is not a property of ${typeName}`);
      continue;
    }
    checkValue(child, property.type, `${path}.${name}`, report);
  }
}

function checkValue(value: Json, type: TypeShape, path: string, report: Report): void {
  if (isIntrinsic(value)) {
    // Fn::If picks one of two literal values: both must fit. Other intrinsics compute values the
    // checker does not evaluate.
    const branches = value['Fn::If'];
    if (Array.isArray(branches)) {
      for (const [i, b] of branches.slice(1).entries()) if (!isNoValue(b)) checkValue(b, type, `${path}[Fn::If ${i + 1}]`, report);
    }
    return;
  }
  switch (type.kind) {
    case 'object':
      if (isObject(value)) checkObject(value, type.properties(), path, type.name, report);
      else report(path, `${type.name} must be an object`);
      return;
    case 'list':
      if (!Array.isArray(value)) report(path, 'must be a list');
      else for (const [i, v] of value.entries()) checkValue(v, type.element, `${path}[${i}]`, report);
      return;
    case 'map':
      if (!isObject(value)) report(path, 'must be a map');
      else for (const [k, v] of Object.entries(value)) checkValue(v, type.element, `${path}.${k}`, report);
      return;
    case 'union': {
      // Check against the one object type of the union when the value is an object; anything
      // more would need type inference the checker does not do.
      const objects = type.types.filter((t) => t.kind === 'object');
      if (isObject(value) && objects.length === 1 && objects[0]) checkValue(value, objects[0], path, report);
      return;
    }
    case 'scalar':
      return;
  }
}

function isNoValue(value: Json | undefined): boolean {
  return isObject(value) && value.Ref === 'AWS::NoValue';
}

interface Names {
  readonly resources: ReadonlySet<string>;
  readonly parameters: ReadonlySet<string>;
  readonly conditions: ReadonlySet<string>;
}

function walkReferences(value: unknown, path: string, template: CfnTemplate, names: Names, spec: ResourceSpec, report: Report): void {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) walkReferences(v, `${path}[${i}]`, template, names, spec, report);
    return;
  }
  if (!isObject(value)) return;
  const refName = (name: string, where: string, locals: ReadonlySet<string> = new Set()) => {
    if (!names.resources.has(name) && !names.parameters.has(name) && !pseudoParameters.has(name) && !locals.has(name)) {
      report(where, `"${name}" is not a resource, parameter or pseudo-parameter`);
    }
  };
  const getAtt = (resource: string, attribute: string, where: string) => {
    const target = template.Resources[resource];
    if (!target) return report(where, `Fn::GetAtt names "${resource}", which is not a resource`);
    const shape = spec.resource(target.Type);
    // Unknown types are reported once, at the resource; custom resources have free attributes.
    if (shape && !shape.attributes.has(attribute)) {
      report(where, `${target.Type} has no attribute "${attribute}" (it has: ${[...shape.attributes].sort().join(', ')})`);
    }
  };

  for (const [key, arg] of Object.entries(value)) {
    const where = `${path}.${key}`;
    if (key.startsWith('Fn::') && !intrinsics.has(key)) report(where, `unknown intrinsic function "${key}"`);
    if (key === 'Ref' && typeof arg === 'string') refName(arg, where);
    if (key === 'Condition' && typeof arg === 'string' && path.startsWith('Conditions') && !names.conditions.has(arg)) {
      report(where, `condition "${arg}" is not defined`);
    }
    if (key === 'Fn::If' && Array.isArray(arg) && typeof arg[0] === 'string' && !names.conditions.has(arg[0])) {
      report(where, `condition "${arg[0]}" is not defined`);
    }
    if (key === 'Fn::GetAtt') {
      const [resource, ...attribute] = typeof arg === 'string' ? arg.split('.') : Array.isArray(arg) ? arg.map(String) : [];
      if (resource === undefined || attribute.length === 0) report(where, 'Fn::GetAtt needs a resource and an attribute');
      else getAtt(resource, attribute.join('.'), where);
    }
    if (key === 'Fn::Sub') {
      const [text, variables] = typeof arg === 'string' ? [arg, {}] : Array.isArray(arg) ? [arg[0], arg[1]] : [undefined, undefined];
      if (typeof text !== 'string') {
        report(where, 'Fn::Sub needs a string');
      } else {
        const locals = new Set(isObject(variables) ? Object.keys(variables) : []);
        // ${!Literal} is an escaped literal, not a reference.
        for (const match of text.matchAll(/\$\{(?!!)([^}]*)\}/g)) {
          const name = (match[1] ?? '').trim();
          const dot = name.indexOf('.');
          if (dot > 0 && !locals.has(name)) getAtt(name.slice(0, dot), name.slice(dot + 1), where);
          else refName(name, where, locals);
        }
      }
    }
    walkReferences(arg, where, template, names, spec, report);
  }
}
