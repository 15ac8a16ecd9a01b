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

  it("refuses what the browser reads as another site", () => {
    const origin = "https://taskforge.example.com";
    expect(safeNext("/\\evil.example.net", origin)).toBe("/");
    expect(safeNext("/\t/evil.example.net", origin)).toBe("/");
    expect(safeNext("/%09/evil.example.net", origin)).toBe("/%09/evil.example.net"); // a path here
    expect(safeNext("/.//evil.example.net/x", origin)).toBe("/evil.example.net/x");
    expect(safeNext("javascript:alert(1)", origin)).toBe("/");
    expect(safeNext("/jobs/7?tab=logs#end", origin)).toBe("/jobs/7?tab=logs#end");
  });
});
