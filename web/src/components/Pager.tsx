// Forward paging through a cursor connection: "Next" follows endCursor, "First" goes
// back to the start (connections page forward only).

export interface PageInfoLike {
  hasNextPage: boolean;
  endCursor?: string | null;
}

export function Pager({
  pageInfo,
  after,
  onPage,
  total,
  shown,
}: {
  pageInfo: PageInfoLike | null | undefined;
  after: string | null;
  onPage: (after: string | null) => void;
  total?: number | null;
  shown?: number;
}) {
  return (
    <nav className="pager" aria-label="Pages">
      {total != null && (
        <span className="muted">
          {shown != null ? `${shown.toLocaleString()} shown of ` : ""}
          {total.toLocaleString()}
        </span>
      )}
      <button type="button" onClick={() => onPage(null)} disabled={after === null}>
        First page
      </button>
      <button
        type="button"
        onClick={() => pageInfo?.endCursor && onPage(pageInfo.endCursor)}
        disabled={!pageInfo?.hasNextPage || !pageInfo.endCursor}
      >
        Next page
      </button>
    </nav>
  );
}
