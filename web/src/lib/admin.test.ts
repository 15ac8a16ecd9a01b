import { apiKeyState, auditTargetPath, expiryInstant, invitationLink, invitationState, invitationToken } from "./admin";
import { isAdmin } from "./session";

const now = new Date("2026-12-07T12:00:00Z").getTime();

describe("admin gating", () => {
  it("lets in admin users and API keys holding admin, and no one else", () => {
    expect(isAdmin({ permissions: ["admin"], user: null })).toBe(true);
    expect(isAdmin({ permissions: [], user: { id: "u", email: "a@b", name: null, role: "ADMIN" } })).toBe(true);
    expect(isAdmin({ permissions: ["jobs:read", "workers"], user: { id: "u", email: "a@b", name: null, role: "MEMBER" } })).toBe(false);
    expect(isAdmin({ permissions: ["jobs:write"], user: null })).toBe(false);
    expect(isAdmin(null)).toBe(false);
  });
});

describe("invitationState", () => {
  it("is accepted, revoked, expired or pending", () => {
    const base = { expiresAt: "2026-12-08T00:00:00Z" };
    expect(invitationState({ ...base, acceptedAt: "2026-12-07T01:00:00Z" }, now)).toBe("ACCEPTED");
    expect(invitationState({ ...base, revokedAt: "2026-12-07T01:00:00Z" }, now)).toBe("REVOKED");
    expect(invitationState({ expiresAt: "2026-12-07T11:59:59Z" }, now)).toBe("EXPIRED");
    expect(invitationState(base, now)).toBe("PENDING");
  });
});

describe("apiKeyState", () => {
  it("is revoked, expired or active", () => {
    expect(apiKeyState({ revokedAt: "2026-12-01T00:00:00Z" }, now)).toBe("REVOKED");
    expect(apiKeyState({ expiresAt: "2026-12-01T00:00:00Z" }, now)).toBe("EXPIRED");
    expect(apiKeyState({ expiresAt: "2027-01-01T00:00:00Z" }, now)).toBe("ACTIVE");
    expect(apiKeyState({}, now)).toBe("ACTIVE");
  });
});

describe("audit entries", () => {
  it("link to their target's page when it has one", () => {
    expect(auditTargetPath("job", "j1")).toBe("/jobs/j1");
    expect(auditTargetPath("schedule", "s1")).toBe("/schedules/s1");
    expect(auditTargetPath("queue", "q 1")).toBe("/jobs?queue=q%201");
    expect(auditTargetPath("api_key", "k1")).toBeNull();
    expect(auditTargetPath("job", null)).toBeNull();
  });
});

describe("expiryInstant", () => {
  it("turns the browser's local time into an instant, and nothing into null", () => {
    expect(expiryInstant("")).toBeNull();
    expect(expiryInstant("garbage")).toBeNull();
    expect(expiryInstant("2027-01-01T09:30")).toBe(new Date(2027, 0, 1, 9, 30).toISOString());
  });
});

describe("invitation links", () => {
  it("point at the invitation page under the server's mount path, the token in the fragment", () => {
    expect(invitationLink("tf_inv_a+b/c", "https://tf.example.com", "")).toBe("https://tf.example.com/invitation#token=tf_inv_a%2Bb%2Fc");
    expect(invitationLink("abc", "https://example.com", "/taskforge")).toBe("https://example.com/taskforge/invitation#token=abc");
  });

  it("give their token back, or null", () => {
    expect(invitationToken("#token=tf_inv_a%2Bb%2Fc")).toBe("tf_inv_a+b/c");
    expect(invitationToken(new URL(invitationLink("x y", "https://e.com", "")).hash)).toBe("x y");
    expect(invitationToken("")).toBeNull();
    expect(invitationToken("#token=")).toBeNull();
    expect(invitationToken("#other=1")).toBeNull();
  });
});
