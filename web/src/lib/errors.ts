// GraphQL errors as the server sends them: every refusal carries `extensions.code`
// (BAD_USER_INPUT, UNAUTHENTICATED, NOT_FOUND, RESYNC_REQUIRED...).
import type { CombinedError } from "@urql/core";

export interface GraphQLErrorLike {
  message: string;
  extensions?: Record<string, unknown> | null;
}

/** The `extensions.code` of the first error that has one, else null. */
export function errorCode(errors: readonly GraphQLErrorLike[] | null | undefined): string | null {
  for (const error of errors ?? []) {
    const code = error?.extensions?.code;
    if (typeof code === "string") return code;
  }
  return null;
}

export function isUnauthenticated(error: CombinedError | undefined): boolean {
  if (!error) return false;
  if (errorCode(error.graphQLErrors) === "UNAUTHENTICATED") return true;
  const response = error.response as { status?: number } | undefined;
  return response?.status === 401;
}

/** One line for a banner: the server's messages, or the network failure. */
export function describeError(error: CombinedError | Error | string): string {
  if (typeof error === "string") return error;
  if ("graphQLErrors" in error && error.graphQLErrors.length > 0) {
    return error.graphQLErrors.map((e) => e.message).join("; ");
  }
  if ("networkError" in error && error.networkError) {
    return `Cannot reach the server (${error.networkError.message})`;
  }
  return error.message;
}
