/**
 * An `Api` whose answers the test scripts, per operation name, and whose subscription the
 * test drives: the store's own logic runs unchanged, against data the test controls.
 */
import { GraphQLRequestError, type Api, type Operation, type Sink } from "../src/api/client";

type Handler = (variables: any) => unknown | Promise<unknown>;

export interface ScriptedApi extends Api {
  calls: { name: string; variables: unknown }[];
  on(name: string, handler: Handler): void;
  /** The sink of the newest subscription (to the named operation, if given). */
  sink(name?: string): Sink<unknown>;
  connect(again: boolean): void;
}

export function unsupported(name: string, field: string): GraphQLRequestError {
  return new GraphQLRequestError(name, [{ message: `Cannot query field '${field}' on type 'Query'.` }]);
}

export function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((ok) => (resolve = ok));
  return { promise, resolve };
}

export function scriptedApi(): ScriptedApi {
  const handlers = new Map<string, Handler>();
  const sinks: { name: string; sink: Sink<unknown> }[] = [];
  const connectListeners = new Set<(again: boolean) => void>();
  const calls: { name: string; variables: unknown }[] = [];
  return {
    calls,
    on(name, handler) {
      handlers.set(name, handler);
    },
    async request<D, V>(op: Operation<D, V>, variables: V): Promise<D> {
      calls.push({ name: op.name, variables });
      const handler = handlers.get(op.name);
      if (!handler) throw new Error(`no scripted answer for ${op.name}`);
      return (await handler(variables)) as D;
    },
    subscribe<D, V>(op: Operation<D, V>, variables: V, sink: Sink<D>) {
      calls.push({ name: op.name, variables });
      sinks.push({ name: op.name, sink: sink as Sink<unknown> });
      return () => undefined;
    },
    onConnected(listener) {
      connectListeners.add(listener);
      return () => connectListeners.delete(listener);
    },
    sink(name) {
      const last = sinks.filter((s) => name === undefined || s.name === name).at(-1);
      if (!last) throw new Error(`nothing subscribed${name ? ` to ${name}` : ""}`);
      return last.sink;
    },
    connect(again) {
      connectListeners.forEach((l) => l(again));
    },
  };
}
