import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { vi } from "vitest";
import { getCredential } from "../lib/auth";
import InvitationPage from "./InvitationPage";

type Answer = { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };

function setup(path: string, answer: Answer) {
  const bodies: { operationName: string; variables: Record<string, unknown> }[] = [];
  const fetch = vi.fn(async (_url: RequestInfo | URL, init?: RequestInit) => {
    bodies.push(JSON.parse(String(init?.body)));
    return new Response(JSON.stringify(answer), { status: 200, headers: { "content-type": "application/json" } });
  });
  vi.stubGlobal("fetch", fetch);
  render(
    <MemoryRouter initialEntries={[path]}>
      <Routes>
        <Route path="/invitation" element={<InvitationPage />} />
        <Route path="/" element={<p>Overview page</p>} />
        <Route path="/login" element={<p>Login page</p>} />
      </Routes>
    </MemoryRouter>,
  );
  return { fetch, bodies };
}

function fill(fields: Record<string, string>) {
  for (const [label, value] of Object.entries(fields)) {
    fireEvent.change(screen.getByLabelText(label), { target: { value } });
  }
  fireEvent.click(screen.getByRole("button", { name: "Join" }));
}

const joined = { data: { acceptInvitation: { token: "tf_login_new", expiresAt: "2026-12-08T10:00:00Z" } } };

describe("InvitationPage", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("joins with the link's token, signs the new user in and opens the overview", async () => {
    const { bodies } = setup("/invitation#token=tf_inv_a%2Bb", joined);
    expect(screen.getByRole("heading", { name: "Accept the invitation" })).toBeTruthy();
    expect(screen.queryByLabelText("Invitation token")).toBeNull(); // the link carries it
    fill({ Name: "  Grace  ", Password: "correct horse", "Confirm the password": "correct horse" });
    expect(await screen.findByText("Overview page")).toBeTruthy();
    expect(getCredential()).toBe("tf_login_new");
    expect(bodies).toHaveLength(1);
    expect(bodies[0].operationName).toBe("AcceptInvitation");
    expect(bodies[0].variables).toEqual({ token: "tf_inv_a+b", name: "Grace", password: "correct horse" });
  });

  it("takes the token out of the address bar as the page opens, and still joins with it", async () => {
    window.history.replaceState(null, "", "/invitation?x=1#token=tf_inv_secret");
    try {
      const { bodies } = setup("/invitation#token=tf_inv_secret", {
        errors: [{ message: "no such invitation", extensions: { code: "NOT_FOUND" } }],
      });
      expect(window.location.hash).toBe(""); // not left in the address bar or the history
      expect(window.location.pathname + window.location.search).toBe("/invitation?x=1");
      expect(screen.queryByLabelText("Invitation token")).toBeNull();
      fill({ Name: "Grace", Password: "correct horse", "Confirm the password": "correct horse" });
      expect((await screen.findByRole("alert")).textContent).toMatch(/not valid/);
      expect(window.location.hash).toBe("");
      expect(bodies[0].variables).toMatchObject({ token: "tf_inv_secret" });
      expect(screen.queryByLabelText("Invitation token")).toBeNull(); // the token is kept for another try
    } finally {
      window.history.replaceState(null, "", "/");
    }
  });

  it("asks for the same password twice before asking the server", async () => {
    const { fetch } = setup("/invitation#token=abc", joined);
    fill({ Name: "Grace", Password: "correct horse", "Confirm the password": "correct horsf" });
    expect((await screen.findByRole("alert")).textContent).toMatch(/two passwords differ/);
    expect(fetch).not.toHaveBeenCalled();
    expect(getCredential()).toBeNull();
  });

  it("says an invitation used, revoked or expired is no longer valid (NOT_FOUND)", async () => {
    setup("/invitation#token=abc", {
      data: null,
      errors: [{ message: "invitation not found: for this token", extensions: { code: "NOT_FOUND" } }],
    });
    fill({ Name: "Grace", Password: "correct horse", "Confirm the password": "correct horse" });
    expect((await screen.findByRole("alert")).textContent).toMatch(/not valid: it was used, revoked or has expired/);
    expect(getCredential()).toBeNull();
    expect(screen.queryByText("Overview page")).toBeNull();
  });

  it("shows the server's reason for a refused field (BAD_USER_INPUT)", async () => {
    setup("/invitation#token=abc", {
      data: null,
      errors: [{ message: "password must be at least 8 characters", extensions: { code: "BAD_USER_INPUT", field: "password" } }],
    });
    fill({ Name: "Grace", Password: "short", "Confirm the password": "short" });
    expect((await screen.findByRole("alert")).textContent).toBe("password must be at least 8 characters");
    expect(screen.queryByRole("link", { name: "Sign in" })).toBeNull();
  });

  it("offers to sign in when the email has an account already (CONFLICT)", async () => {
    setup("/invitation#token=abc", {
      data: null,
      errors: [{ message: "a user with email grace@acme.test already exists", extensions: { code: "CONFLICT" } }],
    });
    fill({ Name: "Grace", Password: "correct horse", "Confirm the password": "correct horse" });
    expect((await screen.findByRole("alert")).textContent).toMatch(/already exists\. Sign in with that account/);
    fireEvent.click(screen.getByRole("link", { name: "Sign in" }));
    expect(await screen.findByText("Login page")).toBeTruthy();
  });

  it("asks for the token when the address has none", async () => {
    const { bodies } = setup("/invitation", joined);
    expect(screen.getByRole("button", { name: "Join" }).hasAttribute("disabled")).toBe(true);
    fireEvent.change(screen.getByLabelText("Invitation token"), { target: { value: " tok " } });
    fill({ Name: "Grace", Password: "correct horse", "Confirm the password": "correct horse" });
    await waitFor(() => expect(getCredential()).toBe("tf_login_new"));
    expect(bodies[0].variables).toMatchObject({ token: "tok" });
  });
});
