import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';

/** A property of a resource or of a nested property type. */
export interface PropertyShape {
  readonly required: boolean;
  readonly type: TypeShape;
}

/**
 * What a property value must look like, as far as the checker looks: scalars and free-form JSON
 * are not inspected; objects have named properties (read lazily: property types can be recursive).
 */
export type TypeShape =
  | { readonly kind: 'scalar' }
  | { readonly kind: 'object'; readonly name: string; readonly properties: () => Readonly<Record<string, PropertyShape>> }
  | { readonly kind: 'list'; readonly element: TypeShape }
  | { readonly kind: 'map'; readonly element: TypeShape }
  | { readonly kind: 'union'; readonly types: readonly TypeShape[] };

/** A CloudFormation resource type: its properties and the attribute names Fn::GetAtt accepts. */
export interface ResourceShape {
  readonly type: string;
  readonly properties: Readonly<Record<string, PropertyShape>>;
  readonly attributes: ReadonlySet<string>;
}

/** Looks resource types up; undefined for a type that does not exist. */
export interface ResourceSpec {
  resource(type: string): ResourceShape | undefined;
}

// The parts of @aws-cdk/service-spec-types' PropertyType the checker reads (that package is a
// transitive dependency, so its types are not imported).
type SpecType =
  | { type: 'string' | 'number' | 'integer' | 'boolean' | 'json' | 'date-time' | 'null' | 'tag' }
  | { type: 'ref'; reference: { $ref: string } }
  | { type: 'array' | 'map'; element: SpecType }
  | { type: 'union'; types: SpecType[] };

interface SpecProperty {
  required?: boolean;
  type: SpecType;
}

type SpecDatabase = ReturnType<typeof loadAwsServiceSpecSync>;

/**
 * The current CloudFormation resource specification from the npm package `@aws-cdk/aws-service-spec`
 * (the database the CDK generates its L1 constructs from). Loading takes about a second.
 */
export function loadAwsResourceSpec(): ResourceSpec {
  const db = loadAwsServiceSpecSync();
  const cache = new Map<string, ResourceShape | undefined>();
  return {
    resource(type) {
      if (!cache.has(type)) cache.set(type, readResource(db, type));
      return cache.get(type);
    },
  };
}

function readResource(db: SpecDatabase, type: string): ResourceShape | undefined {
  const found = db.lookup('resource', 'cloudFormationType', 'equals', type);
  const resource = found[0];
  if (found.length !== 1 || resource === undefined) return undefined;
  return {
    type,
    properties: readProperties(db, resource.properties as Record<string, SpecProperty>),
    attributes: new Set(Object.keys(resource.attributes)),
  };
}

function readProperties(db: SpecDatabase, properties: Record<string, SpecProperty>): Record<string, PropertyShape> {
  return Object.fromEntries(
    Object.entries(properties).map(([name, p]) => [name, { required: p.required === true, type: readType(db, p.type) }]),
  );
}

function readType(db: SpecDatabase, t: SpecType): TypeShape {
  switch (t.type) {
    case 'ref': {
      const definition = db.get('typeDefinition', t.reference.$ref);
      let properties: Record<string, PropertyShape> | undefined;
      return {
        kind: 'object',
        name: definition.name,
        properties: () => (properties ??= readProperties(db, definition.properties as Record<string, SpecProperty>)),
      };
    }
    case 'array':
      return { kind: 'list', element: readType(db, t.element) };
    case 'map':
      return { kind: 'map', element: readType(db, t.element) };
    case 'union':
      return { kind: 'union', types: t.types.map((u) => readType(db, u)) };
    default:
      return { kind: 'scalar' };
  }
}
