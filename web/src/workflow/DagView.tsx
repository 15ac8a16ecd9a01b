// The workflow's graph in SVG: jobs (links to their job page), count nodes standing for
// collapsed levels and map groups (buttons that open them), blocks holding an open
// unit's jobs, and the edges between them, the critical path marked. Each node reads its
// own status from the StatusStore: a status change re-renders that node only, and
// never the layout.
import { memo, useCallback, useId, useLayoutEffect, useMemo, useRef, useState, useSyncExternalStore, type KeyboardEvent, type MouseEvent } from "react";
import { useNavigate } from "react-router-dom";
import { appHref, appPath } from "../lib/root";
import { appearance, formatInt, groupTone, jobsText, summarize, type Counts } from "./appearance";
import { collapse, expand, PAGE, showMore, unitsOf, visibleGraph, type Expansion, type Unit, type VisibleBlock, type VisibleCount } from "./collapse";
import type { JobNode, WorkflowGraph } from "./graph";
import { BLOCK, COUNT, LayoutCache, NODE, type Box } from "./layout";
import type { StatusStore } from "./live";
import { segments } from "./ProgressBar";

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function useJobStatus(store: StatusStore, id: string) {
  const subscribe = useCallback((fn: () => void) => store.subscribe(id, fn), [store, id]);
  return useSyncExternalStore(subscribe, () => store.status(id));
}

function useTally(store: StatusStore, tally: string): Counts {
  const subscribe = useCallback((fn: () => void) => store.subscribe(tally, fn), [store, tally]);
  return useSyncExternalStore(subscribe, () => store.counts(tally));
}

/** Enter or Space on an SVG element acting as a button. */
function onKeyActivate(action: () => void) {
  return (event: KeyboardEvent) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      action();
    }
  };
}

type Open = (event: MouseEvent<Element>) => void;

/** Ends each line of a node's text: a space the drawing ignores and the text read out of
 * the DOM keeps, so that two lines do not run together ("200 jobs200 pending"). */
const SEP = " ";

const JobNodeView = memo(function JobNodeView({
  job,
  box,
  critical,
  store,
  onOpen,
}: {
  job: JobNode;
  box: Box;
  critical: boolean;
  store: StatusStore;
  onOpen: Open;
}) {
  const status = useJobStatus(store, job.id);
  const look = appearance(status);
  const name = `${job.label}: ${look.label}${critical ? ", on the critical path" : ""}`;
  const node = (
    <a
      href={appHref(`/jobs/${job.id}`)}
      className={`dag-node ${look.className}${critical ? " critical" : ""}`}
      data-job={job.id}
      data-status={status}
      aria-label={name}
      onClick={onOpen}
    >
      <g transform={`translate(${box.x},${box.y})`}>
        <rect className="dag-box" width={box.width} height={box.height} rx={6} />
        <text className="dag-name" x={10} y={19} clipPath="url(#dag-clip-node)">
          {job.label}
          {SEP}
        </text>
        <text className="dag-status" x={10} y={37}>
          {`${look.symbol} ${look.label}`}
        </text>
        {critical && (
          <text className="dag-flag" x={box.width - 8} y={19} textAnchor="end" aria-hidden="true">
            ◆
          </text>
        )}
      </g>
    </a>
  );
  if (!job.childWorkflowId) return node;
  // a workflow job: its child run, a link of its own beside the job's (links do not nest)
  return (
    <>
      {node}
      <a href={appHref(`/workflows/${job.childWorkflowId}`)} className="dag-child" aria-label={`Child run of ${job.label}`} onClick={onOpen}>
        <text x={box.x + box.width - 8} y={box.y + 37} textAnchor="end">
          run ↗
        </text>
      </a>
    </>
  );
});

function TallyBar({ counts, size, x, y, width }: { counts: Counts; size: number; x: number; y: number; width: number }) {
  return (
    <g transform={`translate(${x},${y})`} aria-hidden="true">
      <rect className="seg-track" width={width} height={6} rx={3} />
      {segments(counts, size).map(([className, at, w]) => (
        <rect key={className} className={className} x={(at / 100) * width} width={(w / 100) * width} height={6} />
      ))}
    </g>
  );
}

const CountNodeView = memo(function CountNodeView({
  node,
  box,
  store,
  onExpand,
}: {
  node: VisibleCount;
  box: Box;
  store: StatusStore;
  onExpand: (unit: Unit) => void;
}) {
  const counts = useTally(store, node.tally);
  const open = () => onExpand(node.unit);
  const shows = Math.min(PAGE, node.size);
  // what is drawn, line by line; the accessible name says the same, in the same order
  // (WCAG 2.5.3), the critical path after it
  const heading = `${node.unit.title}: ${jobsText(node.size)}`;
  const summary = summarize(counts);
  const action = shows === node.size ? "Show all" : `Show the first ${formatInt(shows)}`;
  return (
    <g
      role="button"
      tabIndex={0}
      aria-expanded={false}
      aria-label={`${heading}, ${summary}. ${action}${node.critical ? ". On the critical path" : ""}`}
      className={`dag-count tone-${groupTone(counts)}${node.critical ? " critical" : ""}`}
      data-unit={node.unit.key}
      transform={`translate(${box.x},${box.y})`}
      onClick={open}
      onKeyDown={onKeyActivate(open)}
    >
      <rect className="dag-stack" x={6} y={6} width={box.width - 6} height={box.height - 6} rx={8} />
      <rect className="dag-box" width={box.width - 6} height={box.height - 6} rx={8} />
      <text className="dag-name" x={12} y={20} clipPath="url(#dag-clip-count)">
        {heading}
        {SEP}
      </text>
      <text className="dag-status" x={12} y={39} clipPath="url(#dag-clip-count)">
        {summary}
        {SEP}
      </text>
      <TallyBar counts={counts} size={node.size} x={12} y={47} width={box.width - 30} />
      <text className="dag-hint" x={12} y={68}>
        <tspan aria-hidden="true">▸ </tspan>
        {action}
      </text>
    </g>
  );
});

const MoreCellView = memo(function MoreCellView({
  unit,
  tally,
  size,
  box,
  store,
  onMore,
}: {
  unit: Unit;
  tally: string;
  size: number;
  box: Box;
  store: StatusStore;
  onMore: (unit: Unit) => void;
}) {
  const counts = useTally(store, tally);
  const clipId = useId();
  const more = () => onMore(unit);
  const heading = `+ ${jobsText(size)} more: ${summarize(counts)}`;
  const action = `Show ${formatInt(Math.min(PAGE, size))} more`;
  return (
    <g
      role="button"
      tabIndex={0}
      aria-label={`${heading}. ${action} of ${unit.title}`}
      className={`dag-more tone-${groupTone(counts)}`}
      transform={`translate(${box.x},${box.y})`}
      onClick={more}
      onKeyDown={onKeyActivate(more)}
    >
      <clipPath id={clipId}>
        <rect x={4} width={box.width - 8} height={box.height} />
      </clipPath>
      <rect className="dag-box" width={box.width} height={box.height} rx={6} />
      <text className="dag-name" x={10} y={19} clipPath={`url(#${clipId})`}>
        {heading}
        {SEP}
      </text>
      <text className="dag-hint" x={10} y={37}>
        <tspan aria-hidden="true">▸ </tspan>
        {action}
      </text>
    </g>
  );
});

function BlockView({
  node,
  box,
  graph,
  cells,
  more,
  store,
  onOpen,
  onMore,
  onCollapse,
}: {
  node: VisibleBlock;
  box: Box;
  graph: WorkflowGraph;
  cells: ReadonlyMap<string, Box>;
  more: Box | undefined;
  store: StatusStore;
  onOpen: Open;
  onMore: (unit: Unit) => void;
  onCollapse: (unit: Unit) => void;
}) {
  const size = node.unit.members.length;
  const fold = () => onCollapse(node.unit);
  return (
    <g className={`dag-block${node.critical ? " critical" : ""}`} data-unit={node.unit.key}>
      <rect className="dag-frame" x={box.x} y={box.y} width={box.width} height={box.height} rx={10} />
      <text className="dag-block-title" x={box.x + BLOCK.padding} y={box.y + 21}>
        {clip(`${node.unit.title} · ${node.cells.length === size ? jobsText(size) : `${formatInt(node.cells.length)} of ${jobsText(size)}`}`, Math.floor((box.width - 90) / 7.5))}
      </text>
      <g
        role="button"
        tabIndex={0}
        aria-label={`Collapse ${node.unit.title}`}
        className="dag-fold"
        transform={`translate(${box.x + box.width - 82},${box.y + 6})`}
        onClick={fold}
        onKeyDown={onKeyActivate(fold)}
      >
        <rect width={74} height={20} rx={4} />
        <text x={37} y={14} textAnchor="middle">
          <tspan aria-hidden="true">▴ </tspan>
          Collapse
        </text>
      </g>
      {node.cells.map((id) => (
        <JobNodeView key={id} job={graph.jobs.get(id)!} box={cells.get(id)!} critical={graph.critical.has(id)} store={store} onOpen={onOpen} />
      ))}
      {node.more && more && (
        <MoreCellView unit={node.unit} tally={node.more.tally} size={node.more.size} box={more} store={store} onMore={onMore} />
      )}
    </g>
  );
}

/** "a → b → c" (the first and last few when long). */
export function pathText(graph: WorkflowGraph, most = 8): string {
  const names = graph.criticalPath.map((id) => graph.jobs.get(id)?.label ?? id);
  if (names.length <= most) return names.join(" → ");
  const half = Math.floor(most / 2);
  return [...names.slice(0, half), `… ${names.length - most} more …`, ...names.slice(-half)].join(" → ");
}

const ZOOMS = [0.25, 0.4, 0.6, 0.8, 1, 1.25, 1.5];

export const DagView = memo(function DagView({ graph, store, name }: { graph: WorkflowGraph; store: StatusStore; name: string }) {
  const navigate = useNavigate();
  const titleId = useId();
  const descId = useId();
  const units = useMemo(() => unitsOf(graph), [graph]);
  const [expansion, setExpansion] = useState<Expansion>(() => new Map());
  const [zoom, setZoom] = useState(1);
  const cache = useRef<LayoutCache | null>(null);
  cache.current ??= new LayoutCache();

  const visible = useMemo(() => {
    const drawing = visibleGraph(graph, units, expansion);
    store.setTallies(drawing.tallies); // before the count nodes read their counts (no notice)
    return drawing;
  }, [graph, units, expansion, store]);
  const layout = useMemo(() => cache.current!.get(visible), [visible]);
  // the counts were redone while rendering: their nodes read them again once committed
  useLayoutEffect(() => store.touch(visible.tallies.keys()), [store, visible]);

  const onOpen = useCallback<Open>(
    (event) => {
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      const href = event.currentTarget.getAttribute("href");
      if (href) navigate(appPath(href));
    },
    [navigate],
  );
  const total = graph.jobs.size;
  const onExpand = useCallback((unit: Unit) => setExpansion((e) => expand(e, unit)), []);
  const onMore = useCallback((unit: Unit) => setExpansion((e) => showMore(e, unit, total)), [total]);
  const onCollapse = useCallback((unit: Unit) => setExpansion((e) => collapse(e, unit)), []);

  const collapsed = visible.nodes.filter((n) => n.kind === "count").length;
  const width = Math.max(1, layout.width);
  const height = Math.max(1, layout.height);
  const zoomIndex = ZOOMS.indexOf(zoom);
  const scroller = useRef<HTMLDivElement>(null);
  /** The largest zoom (at most 100%, at least `least`) at which the drawing fits the width. */
  const fitting = useCallback(
    (least: number) => {
      const room = Math.max(320, (scroller.current?.clientWidth ?? 1200) - 4);
      return Math.max(least, [...ZOOMS].reverse().find((z) => z <= 1 && width * z <= room) ?? ZOOMS[0]!);
    },
    [width],
  );
  const fit = () => setZoom(fitting(ZOOMS[0]!));
  // a drawing a little too wide opens zoomed out to fit, while still readable
  const fitted = useRef(false);
  useLayoutEffect(() => {
    if (fitted.current || !scroller.current?.clientWidth) return;
    fitted.current = true;
    setZoom(fitting(0.6));
  }, [fitting]);

  return (
    <section className="dag" aria-labelledby={`${titleId}-h`}>
      <div className="dag-toolbar">
        <h2 id={`${titleId}-h`}>Graph</h2>
        <span className="muted">
          {jobsText(total)} in {formatInt(graph.levels.length)} {graph.levels.length === 1 ? "level" : "levels"}
          {collapsed > 0 && ` · ${formatInt(visible.jobsShown)} shown, the rest in ${collapsed} collapsed ${collapsed === 1 ? "group" : "groups"} (click one to open it)`}
        </span>
        <div className="dag-zoom" role="group" aria-label="Zoom">
          <button type="button" onClick={() => setZoom(ZOOMS[Math.max(0, zoomIndex - 1)]!)} disabled={zoomIndex <= 0} aria-label="Zoom out">
            −
          </button>
          <span className="dag-zoom-level">{Math.round(zoom * 100)}%</span>
          <button type="button" onClick={() => setZoom(ZOOMS[Math.min(ZOOMS.length - 1, zoomIndex + 1)]!)} disabled={zoomIndex >= ZOOMS.length - 1} aria-label="Zoom in">
            +
          </button>
          <button type="button" onClick={fit}>
            Fit
          </button>
          {expansion.size > 0 && (
            <button type="button" onClick={() => setExpansion(new Map())}>
              Reset view
            </button>
          )}
        </div>
      </div>
      <Legend />
      {graph.criticalPath.length > 1 && (
        <p className="dag-critical-text">
          <span className="dag-critical-key" aria-hidden="true">
            ◆
          </span>{" "}
          Critical path ({jobsText(graph.criticalPath.length)}): {pathText(graph)}
        </p>
      )}
      <div className="dag-scroll" ref={scroller} tabIndex={0} role="region" aria-label="Graph drawing (scrolls)">
        <svg
          className="dag-svg"
          role="group"
          aria-labelledby={titleId}
          aria-describedby={descId}
          width={Math.ceil(width * zoom)}
          height={Math.ceil(height * zoom)}
          viewBox={`0 0 ${width} ${height}`}
          data-testid="workflow-graph"
          data-nodes={visible.nodes.length}
          data-jobs-shown={visible.jobsShown}
          data-layout-ms={Math.round(layout.millis)}
        >
          <title id={titleId}>{`Dependency graph of ${name}: ${jobsText(total)}`}</title>
          <desc id={descId}>
            {graph.criticalPath.length > 0 ? `Critical path: ${pathText(graph)}.` : "No critical path."}
          </desc>
          <defs>
            {/* long names are cut by the box's edge, not shortened: the accessible
                names hold the whole text */}
            <clipPath id="dag-clip-node">
              <rect x={4} width={NODE.width - 26} height={NODE.height} />
            </clipPath>
            <clipPath id="dag-clip-count">
              <rect x={4} width={COUNT.width - 20} height={COUNT.height} />
            </clipPath>
            <marker id="dag-arrow" viewBox="0 0 10 10" refX={9} refY={5} markerWidth={7} markerHeight={7} orient="auto-start-reverse">
              <path d="M0,0 L10,5 L0,10 z" className="dag-arrow" />
            </marker>
            <marker id="dag-arrow-critical" viewBox="0 0 10 10" refX={9} refY={5} markerWidth={6} markerHeight={6} orient="auto-start-reverse">
              <path d="M0,0 L10,5 L0,10 z" className="dag-arrow critical" />
            </marker>
          </defs>
          <g className="dag-edges" aria-hidden="true">
            {visible.edges.map((edge) => {
              const d = layout.paths.get(edge.id);
              if (!d) return null;
              return (
                <path
                  key={edge.id}
                  d={d}
                  className={edge.critical ? "dag-edge critical" : "dag-edge"}
                  markerEnd={edge.critical ? "url(#dag-arrow-critical)" : "url(#dag-arrow)"}
                />
              );
            })}
          </g>
          <g className="dag-nodes">
            {visible.nodes.map((node) => {
              const box = layout.boxes.get(node.id)!;
              if (node.kind === "job") {
                return <JobNodeView key={node.id} job={graph.jobs.get(node.id)!} box={box} critical={node.critical} store={store} onOpen={onOpen} />;
              }
              if (node.kind === "count") {
                return <CountNodeView key={node.id} node={node} box={box} store={store} onExpand={onExpand} />;
              }
              return (
                <BlockView
                  key={node.id}
                  node={node}
                  box={box}
                  graph={graph}
                  cells={layout.cells}
                  more={node.more ? layout.more.get(node.more.tally) : undefined}
                  store={store}
                  onOpen={onOpen}
                  onMore={onMore}
                  onCollapse={onCollapse}
                />
              );
            })}
          </g>
        </svg>
      </div>
    </section>
  );
});

const LEGEND = ["PENDING", "SCHEDULED", "PROCESSING", "SUCCEEDED", "FAILED", "CANCELLED", "SKIPPED"] as const;

function Legend() {
  return (
    <ul className="dag-legend" aria-label="Legend">
      {LEGEND.map((status) => {
        const look = appearance(status);
        return (
          <li key={status} className={`dag-legend-item ${look.className}`}>
            <span className="dag-swatch" aria-hidden="true">
              {look.symbol}
            </span>
            {look.label}
          </li>
        );
      })}
      <li className="dag-legend-item">
        <span className="dag-swatch critical" aria-hidden="true">
          ◆
        </span>
        Critical path
      </li>
    </ul>
  );
}
