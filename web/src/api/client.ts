/**
 * A light GraphQL client: queries and mutations over `fetch`, subscriptions over
 * graphql-transport-ws (the `graphql-ws` client), behind one small `Api` interface so the
 * store can be driven by any transport in tests.
 */
import { createClient, type Client } from "graphql-ws";

/** A typed operation: its document, and (phantom) the shapes of its data and variables. */
export interface Operation<TData, TVars> {
  readonly name: string;
  readonly document: string;
  readonly _types?: [TData, TVars];
}

export interface GraphQLErrorShape {
  message: string;
  extensions?: { code?: string; [key: string]: unknown };
}

/** The server answered with errors. `unsupported` when it does not know a field or type. */
export class GraphQLRequestError extends Error {
  constructor(
    readonly operation: string,
    readonly errors: readonly GraphQLErrorShape[],
  ) {
    super(`${operation}: ${errors.map((e) => e.message).join("; ")}`);
    this.name = "GraphQLRequestError";
  }

  get unsupported(): boolean {
    // Validation errors of a server that predates a feature: the dashboard degrades.
    return this.errors.some((e) =>
      /^(Cannot query field|Unknown argument|Unknown type|Field .* argument .* of type .* is required)/.test(
        e.message,
      ),
    );
  }
}

export interface Sink<T> {
  next(data: T): void;
  error(error: unknown): void;
  complete(): void;
}

export interface Api {
  request<D, V>(op: Operation<D, V>, variables: V): Promise<D>;
  /** Returns an unsubscribe function. */
  subscribe<D, V>(op: Operation<D, V>, variables: V, sink: Sink<D>): () => void;
  /** Called on each WebSocket connect; `again` after a reconnect, when events may be missed. */
  onConnected(listener: (again: boolean) => void): () => void;
}

interface Response<D> {
  data?: D | null;
  errors?: GraphQLErrorShape[];
}

export function createApi(origin: string = window.location.origin): Api {
  const httpUrl = new URL("/graphql", origin).toString();
  const wsUrl = httpUrl.replace(/^http/, "ws");
  let ws: Client | null = null;
  let connects = 0;
  const connectListeners = new Set<(again: boolean) => void>();

  const socket = (): Client => {
    ws ??= createClient({
      url: wsUrl,
      lazy: true,
      retryAttempts: Infinity,
      on: {
        connected: () => {
          connects += 1;
          connectListeners.forEach((listener) => listener(connects > 1));
        },
      },
    });
    return ws;
  };

  return {
    async request<D, V>(op: Operation<D, V>, variables: V): Promise<D> {
      const response = await fetch(httpUrl, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ query: op.document, operationName: op.name, variables }),
      });
      const body = (await response.json()) as Response<D>;
      if (body.errors?.length) throw new GraphQLRequestError(op.name, body.errors);
      if (!response.ok || body.data == null) {
        throw new GraphQLRequestError(op.name, [{ message: `HTTP ${response.status}` }]);
      }
      return body.data;
    },

    subscribe<D, V>(op: Operation<D, V>, variables: V, sink: Sink<D>): () => void {
      return socket().subscribe<D>(
        { query: op.document, operationName: op.name, variables: variables as Record<string, unknown> },
        {
          next: (result) => {
            if (result.errors?.length) {
              sink.error(new GraphQLRequestError(op.name, result.errors as GraphQLErrorShape[]));
            } else if (result.data) sink.next(result.data);
          },
          error: (error) => {
            // graphql-ws reports operation errors as an array of GraphQL errors.
            sink.error(
              Array.isArray(error) ? new GraphQLRequestError(op.name, error as GraphQLErrorShape[]) : error,
            );
          },
          complete: () => sink.complete(),
        },
      );
    },

    onConnected(listener: (again: boolean) => void): () => void {
      connectListeners.add(listener);
      return () => connectListeners.delete(listener);
    },
  };
}
