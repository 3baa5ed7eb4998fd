/**
 * Evaluates the parts of a template that depend on parameters (conditions and Fn::If), the way
 * CloudFormation would at deploy time, so tests can compare what a stack would really get.
 * Only the intrinsics conditions here use are supported; anything else is left as it is.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Parameter values: the template's defaults, overridden by `overrides`. */
export function parameterValues(
  template: { Parameters?: Record<string, { Type: string; Default?: unknown }> },
  overrides: Record<string, string> = {},
): Record<string, string | string[]> {
  const values: Record<string, string | string[]> = {};
  for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
    const raw = overrides[name] ?? String(parameter.Default ?? '');
    values[name] = parameter.Type === 'CommaDelimitedList' ? raw.split(',') : raw;
  }
  return values;
}

/** Every condition's value for the given parameter values. */
export function evaluateConditions(
  template: { Conditions?: Record<string, Json> },
  parameters: Record<string, string | string[]>,
): Record<string, boolean> {
  const results: Record<string, boolean> = {};
  const evaluate = (name: string): boolean => {
    if (!(name in results)) {
      const definition = template.Conditions?.[name];
      if (definition === undefined) throw new Error(`condition ${name} is not defined`);
      results[name] = Boolean(resolve(definition, parameters, evaluate));
    }
    return results[name]!;
  };
  for (const name of Object.keys(template.Conditions ?? {})) evaluate(name);
  return results;
}

/** Resolves Ref to parameters, Fn::If, Fn::Not, Fn::Equals, Fn::Join and parameters in Fn::Sub; removes AWS::NoValue. */
export function resolveValue(value: Json, parameters: Record<string, string | string[]>, conditions: Record<string, boolean>): Json {
  return resolve(value, parameters, (name) => {
    if (!(name in conditions)) throw new Error(`condition ${name} is not defined`);
    return conditions[name]!;
  });
}

function resolve(value: Json, parameters: Record<string, string | string[]>, condition: (name: string) => boolean): Json {
  const again = (v: Json) => resolve(v, parameters, condition);
  if (Array.isArray(value)) return value.map(again).filter((v) => v !== NO_VALUE) as Json[];
  if (typeof value !== 'object' || value === null) return value;
  const [key, arg] = Object.entries(value)[0] ?? [];
  if (Object.keys(value).length === 1 && arg !== undefined) {
    if (key === 'Ref' && typeof arg === 'string') {
      if (arg === 'AWS::NoValue') return NO_VALUE;
      if (arg in parameters) return parameters[arg]!;
    }
    if (key === 'Condition' && typeof arg === 'string') return condition(arg);
    if (key === 'Fn::If' && Array.isArray(arg)) return again(condition(String(arg[0])) ? arg[1]! : arg[2]!);
    if (key === 'Fn::Not' && Array.isArray(arg)) return !again(arg[0]!);
    if (key === 'Fn::Equals' && Array.isArray(arg)) return JSON.stringify(again(arg[0]!)) === JSON.stringify(again(arg[1]!));
    if (key === 'Fn::Sub' && typeof arg === 'string') {
      // Parameters are substituted; resources and pseudo-parameters stay for CloudFormation.
      const text = arg.replace(/\$\{([^}!.]+)\}/g, (whole, name: string) => {
        const v = parameters[name];
        return typeof v === 'string' ? v : whole;
      });
      return { 'Fn::Sub': text };
    }
    if (key === 'Fn::Join' && Array.isArray(arg)) {
      const list = again(arg[1]!);
      if (Array.isArray(list) && list.every((v) => typeof v === 'string')) return list.join(String(arg[0]));
    }
  }
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(value)) {
    const resolved = again(v);
    if (resolved !== NO_VALUE) out[k] = resolved;
  }
  return out;
}

// A unique marker for AWS::NoValue while resolving; never part of a result.
const NO_VALUE = '\u0000AWS::NoValue' as const;
