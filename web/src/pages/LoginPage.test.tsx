import { safeNext } from "./LoginPage";

describe("safeNext", () => {
  it("follows a path of this site", () => {
    expect(safeNext("/jobs?status=FAILED")).toBe("/jobs?status=FAILED");
  });

  it("refuses other sites and nothing", () => {
    expect(safeNext("//evil.example.net/x")).toBe("/");
    expect(safeNext("https://evil.example.net")).toBe("/");
    expect(safeNext(null)).toBe("/");
  });
});
