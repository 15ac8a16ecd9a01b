// Every page of the dashboard, in one list: its path, its element, its label in the
// navigation (none: reachable by links only) and whether only admins may open it.
// A page lives in pages/<Name>Page.tsx (default export) and is loaded on first visit.
// The server serves index.html for the first segment of each path here (see
// taskforge/web/ui.py: CLIENT_PREFIXES): a new top-level path goes there too, as do
// the public /login and /invitation (App.tsx).
import { lazy, type ComponentType, type LazyExoticComponent } from "react";

export interface AppRoute {
  path: string;
  element: LazyExoticComponent<ComponentType>;
  nav?: string;
  adminOnly?: boolean;
}

export const routes: AppRoute[] = [
  { path: "/", element: lazy(() => import("./pages/OverviewPage")), nav: "Overview" },
  { path: "/jobs", element: lazy(() => import("./pages/JobsPage")), nav: "Jobs" },
  { path: "/jobs/:id", element: lazy(() => import("./pages/JobPage")) },
  { path: "/workflows", element: lazy(() => import("./pages/WorkflowsPage")), nav: "Workflows" },
  { path: "/workflows/:id", element: lazy(() => import("./pages/WorkflowPage")) },
  { path: "/schedules", element: lazy(() => import("./pages/SchedulesPage")), nav: "Schedules" },
  { path: "/schedules/:id", element: lazy(() => import("./pages/SchedulePage")) },
  { path: "/workers", element: lazy(() => import("./pages/WorkersPage")), nav: "Workers" },
  { path: "/queues", element: lazy(() => import("./pages/QueuesPage")), nav: "Queues" },
  { path: "/admin", element: lazy(() => import("./pages/AdminPage")), nav: "Admin", adminOnly: true },
];
