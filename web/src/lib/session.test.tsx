import { CombinedError } from "@urql/core";
import { getCredential, setCredential, logout, authorization } from "./auth";
import { errorCode, isUnauthenticated } from "./errors";
import { isAdmin } from "./session";
import { websocketUrl } from "./client";

describe("isAdmin", () => {
  it("is an admin user or a key with the admin permission", () => {
    expect(isAdmin({ permissions: [], user: { id: "u", email: "a@x", name: null, role: "ADMIN" } })).toBe(true);
    expect(isAdmin({ permissions: ["jobs:read"], user: { id: "u", email: "a@x", name: null, role: "MEMBER" } })).toBe(false);
    expect(isAdmin({ permissions: ["admin", "jobs:read"], user: null })).toBe(true);
    expect(isAdmin(null)).toBe(false);
  });
});

describe("the credential", () => {
  it("is kept in localStorage and sent as a bearer token", () => {
    expect(getCredential()).toBeNull();
    setCredential("tf_abc");
    expect(localStorage.getItem("taskforge.credential")).toBe("tf_abc");
    expect(authorization(getCredential())).toBe("Bearer tf_abc");
    logout();
    expect(getCredential()).toBeNull();
    expect(authorization(null)).toBeUndefined();
  });
});

describe("errors", () => {
  it("reads extensions.code", () => {
    expect(errorCode([{ message: "x" }, { message: "y", extensions: { code: "NOT_FOUND" } }])).toBe("NOT_FOUND");
    expect(errorCode(undefined)).toBeNull();
  });

  it("knows an unauthenticated answer, by code or by HTTP status", () => {
    const byCode = new CombinedError({ graphQLErrors: [{ message: "no key", extensions: { code: "UNAUTHENTICATED" } }] });
    const byStatus = new CombinedError({ networkError: new Error("401"), response: { status: 401 } });
    const other = new CombinedError({ graphQLErrors: [{ message: "no", extensions: { code: "FORBIDDEN" } }] });
    expect(isUnauthenticated(byCode)).toBe(true);
    expect(isUnauthenticated(byStatus)).toBe(true);
    expect(isUnauthenticated(other)).toBe(false);
  });
});

describe("websocketUrl", () => {
  it("is the same origin's /graphql, secure when the page is", () => {
    expect(websocketUrl({ protocol: "http:", host: "localhost:8000" })).toBe("ws://localhost:8000/graphql");
    expect(websocketUrl({ protocol: "https:", host: "tf.example.com" })).toBe("wss://tf.example.com/graphql");
  });
});
