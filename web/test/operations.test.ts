/**
 * Every operation the dashboard sends is valid against the API's schema (`schema.graphql`,
 * generated from the server code). Operations for features the server does not offer yet
 * are listed; they must fail only on the fields that are missing, and the list must shrink
 * as soon as the server grows the feature.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { buildSchema, parse, validate, type DocumentNode } from "graphql";
import { describe, expect, it } from "vitest";

import * as operations from "../src/api/operations";

const schema = buildSchema(readFileSync(join(import.meta.dirname, "..", "..", "schema.graphql"), "utf8"));

/** Operations whose server side has not shipped: the dashboard degrades gracefully. */
const AWAITING_SERVER = new Set<string>([]);

const all = Object.values(operations).filter(
  (v): v is { name: string; document: string } => typeof v === "object" && v !== null && "document" in v,
);

/** validate() passes a subscription on a schema without a Subscription type: check that too. */
function errorsOf(document: DocumentNode): string[] {
  const errors = validate(schema, document).map((e) => e.message);
  for (const d of document.definitions) {
    if (d.kind === "OperationDefinition" && !schema.getRootType(d.operation)) {
      errors.push(`Schema is not configured for ${d.operation} operations`);
    }
  }
  return errors;
}

describe("operations against schema.graphql", () => {
  it.each(all.map((op) => [op.name, op]))("%s", (name, op) => {
    const document = parse(op.document);
    const operationNames = document.definitions
      .filter((d) => d.kind === "OperationDefinition")
      .map((d) => d.name?.value);
    expect(operationNames).toEqual([name]);
    const errors = errorsOf(document);
    if (!AWAITING_SERVER.has(name)) {
      expect(errors).toEqual([]);
      return;
    }
    expect(errors, `${name} validates now: remove it from AWAITING_SERVER`).not.toEqual([]);
    for (const message of errors) {
      expect(message).toMatch(/^(Cannot query field|Unknown argument|Unknown type|Schema is not configured)/);
    }
  });
});
